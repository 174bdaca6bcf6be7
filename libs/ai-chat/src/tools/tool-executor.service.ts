import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { formatValidationIssues, validateStrategyDocument, type Precision } from '@app/engine';
import { MarketReadService } from '@app/market';
import { AppConfig, AppError } from '@app/platform';
import { aiToolCalls } from '../ai-chat.metrics';
import { AiContextAccess } from '../context/ai-context.access';
import { asData, summarizeBacktest, summarizeBacktestBrief, summarizeStrategy } from '../context/context-summary';
import type { ToolUseBlock } from '../domain/content';
import type { AiTier } from '../domain/quota';
import type { ProposalDraft } from '../proposal/proposal.repository';
import { isToolName, TAG_PATTERN } from './tool-definitions';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const STATUSES = ['queued', 'running', 'completed', 'failed', 'cancelled'];
const LISTED_GAPS = 20;
const WORST_TRADES = 5;

/** Precisions each tier may run (docs/tiers.md). */
export const TIER_PRECISIONS: Record<AiTier, Precision[]> = {
  basic: ['kline'],
  pro: ['kline', 'hybrid'],
  elite: ['kline', 'hybrid', 'tick'],
};

/** The state of the tools over one chat message. */
export interface ToolSession {
  userId: string;
  tier: AiTier;
  /** Valid proposals made so far, stored with the answer. */
  proposals: ProposalDraft[];
  /** Invalid proposals so far; after AI_PROPOSAL_MAX_CORRECTIONS more are refused. */
  invalidProposals: number;
}

export interface ToolOutcome {
  /** What the model is given as the tool result (JSON data, or the error in words). */
  content: string;
  isError: boolean;
  proposal?: ProposalDraft;
}

/** A problem with the tool input, told to the model so that it can retry. */
class ToolInputError extends Error {}

type Input = Record<string, unknown>;

function str(input: Input, key: string, max: number, required: true): string;
function str(input: Input, key: string, max: number, required?: false): string | undefined;
function str(input: Input, key: string, max: number, required = false): string | undefined {
  const value = input[key];
  if (value === undefined || value === null) {
    if (required) throw new ToolInputError(`"${key}" is required`);
    return undefined;
  }
  if (typeof value !== 'string' || value.length > max)
    throw new ToolInputError(`"${key}" must be a string of at most ${max} characters`);
  return value;
}

function id(input: Input, key: string, required: true): string;
function id(input: Input, key: string, required?: false): string | undefined;
function id(input: Input, key: string, required = false): string | undefined {
  const value = required ? str(input, key, 36, true) : str(input, key, 36);
  if (value !== undefined && !UUID.test(value)) throw new ToolInputError(`"${key}" must be a UUID`);
  return value;
}

function time(input: Input, key: string): number | undefined {
  const value = str(input, key, 40);
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) throw new ToolInputError(`"${key}" must be an ISO 8601 date-time`);
  return ms;
}

/**
 * Runs the assistant's tool calls for the user: every read goes through the owner-scoped port
 * (another user's id is "not found"), inputs are checked before use, and results go back to the
 * model as JSON data. Errors become tool results with `is_error`, never exceptions, so the model
 * can explain or correct them.
 */
@Injectable()
export class ToolExecutor {
  private readonly logger = new Logger(ToolExecutor.name);

  constructor(
    @Inject(AppConfig) private readonly config: AppConfig,
    private readonly context: AiContextAccess,
    private readonly market: MarketReadService,
  ) {}

  async execute(call: ToolUseBlock, session: ToolSession): Promise<ToolOutcome> {
    let outcome: ToolOutcome;
    try {
      const input = (typeof call.input === 'object' && call.input !== null ? call.input : {}) as Input;
      outcome = await this.run(call.name, input, session);
    } catch (err) {
      outcome = { isError: true, content: this.describe(err, call.name, session.userId) };
    }
    aiToolCalls()
      .labels({ tool: isToolName(call.name) ? call.name : 'unknown', outcome: outcome.isError ? 'error' : 'ok' })
      .inc();
    return outcome;
  }

  private describe(err: unknown, tool: string, userId: string): string {
    if (err instanceof ToolInputError) return asData({ error: { code: 'INVALID_TOOL_INPUT', message: err.message } });
    if (err instanceof AppError) return asData({ error: { code: err.code, message: err.message } });
    this.logger.error({ err, tool, userId }, 'AI tool failed');
    return asData({ error: { code: 'TOOL_FAILED', message: 'The tool failed on the server; try again later.' } });
  }

  private async run(name: string, input: Input, session: ToolSession): Promise<ToolOutcome> {
    const ok = (data: unknown): ToolOutcome => ({ content: asData(data), isError: false });
    const owner = session.userId;
    switch (name) {
      case 'get_strategy':
        return ok({
          strategy: summarizeStrategy(await this.context.get().strategy(owner, id(input, 'strategyId', true))),
        });
      case 'list_backtests': {
        const status = str(input, 'status', 20);
        if (status !== undefined && !STATUSES.includes(status))
          throw new ToolInputError(`"status" must be one of ${STATUSES.join(', ')}`);
        const limit = input.limit === undefined ? 10 : Number(input.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 20)
          throw new ToolInputError('"limit" must be an integer from 1 to 20');
        const list = await this.context.get().backtests(owner, { strategyId: id(input, 'strategyId'), status, limit });
        return ok({ backtests: list.map(summarizeBacktestBrief) });
      }
      case 'get_backtest_result': {
        const port = this.context.get();
        const backtestId = id(input, 'backtestId', true);
        const backtest = await port.backtest(owner, backtestId);
        const finished = backtest.status === 'completed';
        const [worst, comparison] = await Promise.all([
          finished ? port.worstTrades(owner, backtestId, WORST_TRADES) : Promise.resolve([]),
          finished && backtest.comparisonId !== null ? port.comparison(owner, backtestId) : Promise.resolve(null),
        ]);
        return ok({
          backtest: summarizeBacktest(backtest, worst, comparison),
          precisionsAllowedForTier: TIER_PRECISIONS[session.tier],
        });
      }
      case 'get_market_coverage':
        return ok(await this.coverage(input, session.tier));
      case 'propose_strategy':
        return this.propose(input, session);
      default:
        throw new ToolInputError(`there is no tool "${name}"`);
    }
  }

  private async coverage(input: Input, tier: AiTier) {
    const answer = await this.market.coverage({
      exchange: str(input, 'exchange', 32, true),
      symbol: str(input, 'symbol', 41, true),
      from: time(input, 'from'),
      to: time(input, 'to'),
    });
    if (!('body' in answer)) throw new Error('coverage answered without a body');
    const coverage = JSON.parse(answer.body.toString('utf8')) as {
      candles: { gaps: unknown[]; gapsTruncated: boolean } | null;
    };
    if (coverage.candles && coverage.candles.gaps.length > LISTED_GAPS) {
      coverage.candles.gaps = coverage.candles.gaps.slice(0, LISTED_GAPS);
      coverage.candles.gapsTruncated = true;
    }
    return { coverage, precisionsAllowedForTier: TIER_PRECISIONS[tier] };
  }

  private propose(input: Input, session: ToolSession): ToolOutcome {
    const maxCorrections = this.config.env.AI_PROPOSAL_MAX_CORRECTIONS;
    if (session.invalidProposals > maxCorrections) {
      return {
        isError: true,
        content: 'No more proposals can be made for this message. Tell the user what could not be made valid.',
      };
    }
    const name = str(input, 'name', 120, true).trim();
    if (name === '') throw new ToolInputError('"name" must not be empty');
    const description = str(input, 'description', 2000) ?? '';
    const tags = input.tags ?? [];
    if (!Array.isArray(tags) || tags.length > 10 || tags.some((t) => typeof t !== 'string' || !TAG_PATTERN.test(t))) {
      throw new ToolInputError(
        '"tags" must be at most 10 tags of 1-40 letters, digits, spaces, dots, dashes or underscores',
      );
    }
    const result = validateStrategyDocument(input.definition);
    if (!result.ok) {
      session.invalidProposals++;
      const left = maxCorrections - session.invalidProposals + 1;
      const issues = formatValidationIssues(result.errors);
      return {
        isError: true,
        content:
          left > 0
            ? `The definition is not valid:\n${issues}\nCorrect every problem and call propose_strategy again (${left} attempt${left === 1 ? '' : 's'} left).`
            : `The definition is not valid:\n${issues}\nNo attempts are left: do not call propose_strategy again; tell the user what could not be made valid.`,
      };
    }
    const draft: ProposalDraft = {
      id: randomUUID(),
      name,
      description,
      tags: tags as string[],
      definition: result.definition,
    };
    session.proposals.push(draft);
    return {
      isError: false,
      proposal: draft,
      content: asData({
        proposalId: draft.id,
        status: 'draft',
        note: 'Valid. Stored as a draft; the user can save it as a strategy with one click.',
      }),
    };
  }
}
