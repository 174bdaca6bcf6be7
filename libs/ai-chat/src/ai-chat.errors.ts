import { AppError } from '@app/platform';

export class AiDisabledError extends AppError {
  constructor() {
    super('AI_DISABLED', 'unavailable', 'The AI assistant is not configured on this server (no ANTHROPIC_API_KEY).');
  }
}

export class AiSessionNotFoundError extends AppError {
  constructor(id: string) {
    super('AI_SESSION_NOT_FOUND', 'not_found', `Chat session ${id} does not exist.`, { id });
  }
}

export class AiProposalNotFoundError extends AppError {
  constructor(id: string) {
    super('AI_PROPOSAL_NOT_FOUND', 'not_found', `Strategy proposal ${id} does not exist.`, { id });
  }
}

export class AiProposalAcceptedError extends AppError {
  constructor(id: string, strategyId: string | null) {
    super('AI_PROPOSAL_ALREADY_ACCEPTED', 'conflict', `Strategy proposal ${id} was already saved as a strategy.`, {
      id,
      strategyId,
    });
  }
}

/** The strategies/backtests adapter is not bound in this process (see AiChatModule.forRoot). */
export class AiContextUnavailableError extends AppError {
  constructor() {
    super(
      'AI_CONTEXT_UNAVAILABLE',
      'unavailable',
      'Strategy and backtest data are not available to the assistant on this server.',
    );
  }
}

export class AiQuotaExceededError extends AppError {
  constructor(info: { tier: string; limit: number; resetAt: Date; now: Date }) {
    const retryAfterSeconds = Math.max(1, Math.ceil((info.resetAt.getTime() - info.now.getTime()) / 1000));
    super(
      'AI_QUOTA_EXCEEDED',
      'rate_limited',
      `The ${info.tier} tier allows ${info.limit} AI chat messages per day; the quota resets at ${info.resetAt.toISOString()}.`,
      { tier: info.tier, limit: info.limit, resetAt: info.resetAt.toISOString(), retryAfterSeconds },
    );
  }
}

/** What went wrong upstream, as the client should see it. */
export type UpstreamFailure = 'error' | 'overloaded' | 'rate_limited' | 'timeout';

const UPSTREAM: Record<UpstreamFailure, { code: string; kind: 'bad_gateway' | 'unavailable' | 'gateway_timeout' }> = {
  error: { code: 'AI_UPSTREAM_ERROR', kind: 'bad_gateway' },
  overloaded: { code: 'AI_UPSTREAM_OVERLOADED', kind: 'unavailable' },
  rate_limited: { code: 'AI_UPSTREAM_RATE_LIMITED', kind: 'unavailable' },
  timeout: { code: 'AI_UPSTREAM_TIMEOUT', kind: 'gateway_timeout' },
};

/** The model API failed after the SDK's bounded retries. */
export class AiUpstreamError extends AppError {
  constructor(
    readonly failure: UpstreamFailure,
    message: string,
    extensions: Record<string, unknown> = {},
  ) {
    super(UPSTREAM[failure].code, UPSTREAM[failure].kind, message, extensions);
  }
}
