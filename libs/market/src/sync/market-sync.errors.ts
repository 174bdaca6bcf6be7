import { AppError, ErrorKind } from '@app/platform';

/** Kinds that no retry can fix: the worker fails such a sync job without retrying it. */
const PERMANENT: ReadonlySet<ErrorKind> = new Set(['invalid', 'not_found', 'conflict', 'unprocessable', 'forbidden']);

/** True when retrying the same sync cannot succeed (unknown exchange or symbol, timeframe conflict, bad input). */
export function isPermanentSyncError(error: unknown): boolean {
  return error instanceof AppError && PERMANENT.has(error.kind);
}

export class SyncExchangeUnknownError extends AppError {
  constructor(exchange: string) {
    super('MARKET_SYNC_EXCHANGE_UNKNOWN', 'not_found', `ccxt has no exchange "${exchange}".`, { exchange });
  }
}

export class SyncSymbolUnknownError extends AppError {
  constructor(exchange: string, symbol: string) {
    super('MARKET_SYNC_SYMBOL_UNKNOWN', 'not_found', `${exchange} lists no spot market ${symbol}.`, {
      exchange,
      symbol,
    });
  }
}

/** The exchange (through ccxt) cannot serve what the series needs: no candles, no trades, not this timeframe. */
export class SyncUnsupportedError extends AppError {
  constructor(exchange: string, what: string) {
    super('MARKET_SYNC_UNSUPPORTED', 'unprocessable', `${exchange} does not support ${what} through ccxt.`, {
      exchange,
    });
  }
}

/** The exchange refused the request itself (bad request, credentials): the same request fails again. */
export class ExchangeRejectedError extends AppError {
  constructor(exchange: string, detail: string) {
    super('MARKET_SYNC_REJECTED', 'unprocessable', `${exchange} rejected the request: ${detail}`, { exchange });
  }
}

/** Network failure, timeout, 5xx, maintenance: worth retrying later. */
export class ExchangeUnavailableError extends AppError {
  constructor(exchange: string, detail: string) {
    super('MARKET_SYNC_EXCHANGE_UNAVAILABLE', 'unavailable', `${exchange} is unavailable: ${detail}`, { exchange });
  }
}

/** Still rate limited after the bounded waits of one sync run. */
export class ExchangeRateLimitedError extends AppError {
  constructor(exchange: string, retryAfterMs: number, detail: string) {
    super('MARKET_SYNC_RATE_LIMITED', 'rate_limited', `${exchange} keeps answering "too many requests": ${detail}`, {
      exchange,
      retryAfterMs,
    });
  }
}

/** The exchange sent bars or trades that cannot be stored (NaN, non-positive prices, unordered times). */
export class ExchangeDataError extends AppError {
  constructor(exchange: string, symbol: string, detail: string) {
    super('MARKET_SYNC_BAD_DATA', 'unprocessable', `${exchange} sent unusable ${symbol} data: ${detail}`, {
      exchange,
      symbol,
    });
  }
}
