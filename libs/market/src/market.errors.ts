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

/** A stored chunk whose bytes fail their checksum or do not decode: the read fails rather than return wrong numbers. */
export class ChunkCorruptError extends AppError {
  constructor(instrumentId: string, kind: 'candles' | 'trades', chunkStart: number, detail: string) {
    super(
      'MARKET_CHUNK_CORRUPT',
      'internal',
      `The stored ${kind} chunk of instrument ${instrumentId} starting ${new Date(chunkStart).toISOString()} is corrupt (${detail}).`,
      { instrumentId, kind, chunkStart: new Date(chunkStart).toISOString() },
    );
  }
}

/** A value from an exchange or the seed that the store cannot keep exactly (more than 15 significant digits). */
export class MarketValueError extends AppError {
  constructor(detail: string) {
    super('MARKET_VALUE_UNSTORABLE', 'unprocessable', `A market-data value cannot be stored exactly: ${detail}.`, {
      detail,
    });
  }
}

/** Market reads already hold their share of the database pool and the wait for a slot ran out. */
export class MarketReadsBusyError extends AppError {
  constructor(concurrency: number) {
    super(
      'MARKET_READS_BUSY',
      'unavailable',
      `Market-data reads are using their share of the database (${concurrency} at once); try again shortly.`,
      { retryAfterSeconds: 1, concurrency },
    );
  }
}

/** A user's market reads touched more stored chunks than the window's budget allows. */
export class MarketCostLimitError extends AppError {
  constructor(budget: number, spent: number, retryAfterSeconds: number) {
    super(
      'MARKET_COST_LIMITED',
      'rate_limited',
      `Your market-data reads touched ${spent} stored chunks in this window; the budget is ${budget}. ` +
        'Ask for coarser timeframes or shorter ranges, or wait.',
      { budget, spent, retryAfterSeconds },
    );
  }
}
