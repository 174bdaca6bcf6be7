import { AppError, FieldError } from '@app/platform';
import type { TierLimits } from './domain/tiers';

export class BacktestNotFoundError extends AppError {
  constructor(id: string, what = 'Backtest') {
    super(`${what === 'Backtest' ? 'BACKTEST' : 'COMPARISON'}_NOT_FOUND`, 'not_found', `${what} ${id} was not found.`, {
      id,
    });
  }
}

export class BacktestInputError extends AppError {
  constructor(errors: FieldError[], code = 'BACKTEST_INVALID_REQUEST') {
    super(code, 'invalid', errors.map((e) => `${e.field}: ${e.message}`).join('; '), {}, errors);
  }
}

/** Asked for more than the tier allows (precision, timeframe, span): 403 with what it allows. */
export class BacktestTierLimitError extends AppError {
  constructor(message: string, limits: TierLimits) {
    super('BACKTEST_TIER_LIMIT', 'forbidden', message, {
      tier: limits.tier,
      allowed: {
        precisions: limits.precisions,
        timeframes: limits.timeframes,
        maxSpanMonths: limits.maxSpanMonths,
        maxConcurrent: limits.maxConcurrent,
        dailyBacktests: limits.dailyBacktests,
      },
    });
  }
}

export class BacktestConcurrencyLimitError extends AppError {
  constructor(limit: number, active: number) {
    super(
      'BACKTEST_CONCURRENCY_LIMIT',
      'rate_limited',
      `Your tier runs at most ${limit} backtests at a time (queued or running); ${active} are. Wait for one to finish.`,
      { limit, active, retryAfterSeconds: 5 },
    );
  }
}

export class BacktestQuotaExceededError extends AppError {
  constructor(limit: number, resetAt: number, now: number) {
    super('BACKTEST_QUOTA_EXCEEDED', 'rate_limited', `Your tier allows ${limit} backtests per day (UTC).`, {
      limit,
      resetAt: new Date(resetAt).toISOString(),
      retryAfterSeconds: Math.max(1, Math.ceil((resetAt - now) / 1000)),
    });
  }
}

/** The range holds no data the precision needs; `coverage` says what is stored. */
export class MarketDataMissingError extends AppError {
  constructor(message: string, coverage: Record<string, unknown>) {
    super('MARKET_DATA_MISSING', 'unprocessable', message, { coverage });
  }
}

export class BacktestTooLargeError extends AppError {
  constructor(what: string, count: number, limit: number) {
    super(
      'BACKTEST_TOO_LARGE',
      'unprocessable',
      `The backtest would need ${count} ${what}; one run handles at most ${limit}. Shorten the range or use a coarser timeframe.`,
      { count, limit },
    );
  }
}

export class IdempotencyKeyReusedError extends AppError {
  constructor() {
    super(
      'IDEMPOTENCY_KEY_REUSED',
      'unprocessable',
      'This Idempotency-Key was already used for a different request; use a new key for a new backtest.',
    );
  }
}

export class BacktestNotFinishedError extends AppError {
  constructor(id: string, status: string) {
    // Not `status`: that member of problem details is the HTTP status.
    super('BACKTEST_NOT_COMPLETED', 'conflict', `Backtest ${id} is ${status}; its result exists once it completes.`, {
      backtestStatus: status,
    });
  }
}
