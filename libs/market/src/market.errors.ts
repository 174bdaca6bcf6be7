import { AppError, FieldError } from '@app/platform';

export class InstrumentNotFoundError extends AppError {
  constructor(exchange: string, symbol: string) {
    super('MARKET_INSTRUMENT_NOT_FOUND', 'not_found', `No market data for ${symbol} on ${exchange}.`, {
      exchange,
      symbol,
    });
  }
}

export class MarketInputError extends AppError {
  constructor(errors: FieldError[], message = 'The market data request is not valid.') {
    super('MARKET_INVALID_REQUEST', 'invalid', message, {}, errors);
  }
}

/** A timeframe that cannot be built from what is stored for the instrument. */
export class TimeframeUnavailableError extends AppError {
  constructor(timeframe: string, stored: string | null, hasTrades: boolean) {
    super(
      'MARKET_TIMEFRAME_UNAVAILABLE',
      'unprocessable',
      stored
        ? `${timeframe} bars cannot be built from the stored ${stored} candles${hasTrades ? ' or trades' : ''}: ask for a multiple of ${stored}.`
        : `No candles are stored for this instrument${hasTrades ? ' and the trades cannot make ' + timeframe + ' bars' : ''}.`,
      { timeframe, storedTimeframe: stored },
    );
  }
}

/** An import whose candle timeframe differs from the one already stored for the instrument. */
export class TimeframeConflictError extends AppError {
  constructor(exchange: string, symbol: string, stored: string, given: string) {
    super(
      'MARKET_TIMEFRAME_CONFLICT',
      'conflict',
      `${symbol} on ${exchange} stores ${stored} candles; ${given} candles would store the same market twice. ` +
        `Import ${stored} candles (higher timeframes are aggregated from them on read).`,
      { exchange, symbol, storedTimeframe: stored, timeframe: given },
    );
  }
}

export class ImportNotFoundError extends AppError {
  constructor(id: string) {
    super('MARKET_IMPORT_NOT_FOUND', 'not_found', `Import ${id} does not exist.`, { id });
  }
}

/** The file cannot be read at all (unknown format, no header, not JSON): nothing was stored. */
export class ImportFormatError extends AppError {
  constructor(message: string) {
    super('MARKET_IMPORT_UNREADABLE', 'invalid', message);
  }
}

export class ImportTooLargeError extends AppError {
  constructor(limit: number) {
    super('MARKET_IMPORT_TOO_LARGE', 'payload_too_large', `The file is larger than the ${limit}-byte import limit.`, {
      limitBytes: limit,
    });
  }
}
