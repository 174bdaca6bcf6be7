import { sliceCandles, type CandleSeries, type TradeSeries } from '@app/engine';
import type { InstrumentRecord, MarketFeed, SeriesRange } from '@app/market';

/**
 * Where a run's streamed series come from: detail bars and trade prints as async iterables of
 * chunks, each shaped like the engine's series, in time order. The engine pool draws one chunk
 * at a time as the run reaches it, so a source that reads lazily (a cursor over stored chunks)
 * bounds a run's memory by the chunk size.
 */
export interface SeriesChunkSource {
  /** Bars of `timeframeMs` whose open time lies in the range. */
  candleChunks(instrument: InstrumentRecord, timeframeMs: number, range: SeriesRange): AsyncIterable<CandleSeries>;
  /** Prints in `[from, to)`. */
  tradeChunks(instrument: InstrumentRecord, range: SeriesRange): AsyncIterable<TradeSeries>;
}

/** Each item a turn of the event loop apart, as from a source that reads. */
async function* asAsync<T>(items: Iterable<T>): AsyncGenerator<T> {
  for (const item of items) {
    await new Promise((resolve) => setImmediate(resolve));
    yield item;
  }
}

/** A series already in memory, in chunks of `rows` (views; the pool copies what it sends). */
export function candleChunksOf(series: CandleSeries, rows: number): AsyncGenerator<CandleSeries> {
  return asAsync(candleSlices(series, rows));
}

function* candleSlices(series: CandleSeries, rows: number): Generator<CandleSeries> {
  for (let from = 0; from < series.time.length; from += rows) {
    yield sliceCandles(series, from, Math.min(series.time.length, from + rows));
  }
}

/** Prints already in memory, in chunks of `rows`. */
export function tradeChunksOf(trades: TradeSeries, rows: number): AsyncGenerator<TradeSeries> {
  return asAsync(tradeSlices(trades, rows));
}

function* tradeSlices(trades: TradeSeries, rows: number): Generator<TradeSeries> {
  for (let from = 0; from < trades.time.length; from += rows) {
    const to = Math.min(trades.time.length, from + rows);
    yield {
      time: trades.time.subarray(from, to),
      price: trades.price.subarray(from, to),
      amount: trades.amount.subarray(from, to),
      side: trades.side.subarray(from, to),
    };
  }
}

/**
 * The feed's whole arrays in slices, for series the store keeps no chunks of: loaded when the
 * first chunk is asked for and handed out in slices. Runs stream end to end already; only the
 * feed's own memory still grows with the span.
 */
export class SlicedSeriesSource implements SeriesChunkSource {
  constructor(
    private readonly feed: MarketFeed,
    private readonly rows: number,
  ) {}

  async *candleChunks(
    instrument: InstrumentRecord,
    timeframeMs: number,
    range: SeriesRange,
  ): AsyncGenerator<CandleSeries> {
    yield* candleChunksOf(await this.feed.candlesOf(instrument, timeframeMs, range), this.rows);
  }

  async *tradeChunks(instrument: InstrumentRecord, range: SeriesRange): AsyncGenerator<TradeSeries> {
    const trades = await this.feed.trades({ exchange: instrument.exchange, symbol: instrument.symbol, ...range });
    yield* tradeChunksOf(trades, this.rows);
  }
}

/**
 * The store's own chunks, read lazily page by page: prints always, detail bars when the run asks
 * for the instrument's stored timeframe. Bars of another timeframe (aggregated, or built from
 * prints) have no stored chunks and come through `fallback`.
 */
export class StoredSeriesSource implements SeriesChunkSource {
  constructor(
    private readonly feed: MarketFeed,
    private readonly fallback: SeriesChunkSource,
  ) {}

  candleChunks(instrument: InstrumentRecord, timeframeMs: number, range: SeriesRange): AsyncIterable<CandleSeries> {
    if (instrument.candleTimeframeMs !== timeframeMs) return this.fallback.candleChunks(instrument, timeframeMs, range);
    return this.feed.candleChunks({ exchange: instrument.exchange, symbol: instrument.symbol, ...range });
  }

  tradeChunks(instrument: InstrumentRecord, range: SeriesRange): AsyncIterable<TradeSeries> {
    return this.feed.tradeChunks({ exchange: instrument.exchange, symbol: instrument.symbol, ...range });
  }
}
