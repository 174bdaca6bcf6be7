import { Injectable } from '@nestjs/common';
import { aggregateCandles, candlesFromTrades, type CandleSeries, type TradeSeries } from '@app/engine';
import { InstrumentNotFoundError, TimeframeUnavailableError } from '../market.errors';
import { InstrumentRecord, InstrumentRepository } from '../store/instrument.repository';
import { candleChunkSpan } from '../store/chunk-merge';
import { MarketStore, SeriesRange } from '../store/market-store';
import { formatTimeframe, timeframeMs } from '../symbols';

export interface SeriesRequest {
  exchange: string;
  symbol: string;
  /** Inclusive, epoch ms. */
  from: number;
  /** Exclusive, epoch ms. */
  to: number;
}

/** Where bars of a timeframe come from: the stored candles (aggregated when coarser) or the trades. */
export type CandleSource = { kind: 'candles'; storedMs: number } | { kind: 'trades' };

/** The engine's view of a timeframe: whole buckets, open times in `[from, to)` (from rounded up to a bucket start). */
export function bucketRange(range: SeriesRange, tfMs: number): SeriesRange {
  return { from: Math.ceil(range.from / tfMs) * tfMs, to: Math.ceil(range.to / tfMs) * tfMs };
}

/**
 * The backtest engine's input, loaded from PostgreSQL as typed arrays (binary COPY, no per-row
 * objects): candles of any timeframe the stored data can make, detail candles for hybrid runs,
 * trade prints for tick runs.
 */
@Injectable()
export class MarketFeed {
  constructor(
    private readonly instruments: InstrumentRepository,
    private readonly store: MarketStore,
  ) {}

  async instrument(exchange: string, symbol: string): Promise<InstrumentRecord> {
    const found = await this.instruments.find(exchange, symbol);
    if (!found) throw new InstrumentNotFoundError(exchange, symbol);
    return found;
  }

  /** How `timeframe` bars are built for the instrument; 422 when they cannot be. */
  sourceOf(instrument: InstrumentRecord, tfMs: number): CandleSource {
    const stored = instrument.candleTimeframeMs;
    if (stored !== null && tfMs >= stored && tfMs % stored === 0) return { kind: 'candles', storedMs: stored };
    if (instrument.hasTrades) return { kind: 'trades' };
    throw new TimeframeUnavailableError(formatTimeframe(tfMs), stored === null ? null : formatTimeframe(stored), false);
  }

  /** Candles of `timeframe` whose open time lies in the request's range. */
  async candles(request: SeriesRequest & { timeframe: string }): Promise<CandleSeries> {
    const instrument = await this.instrument(request.exchange, request.symbol);
    return this.candlesOf(instrument, timeframeMs(request.timeframe), request);
  }

  /**
   * `maxBars`: stop after that many bars from the start of the range (the stored rows are
   * read with a LIMIT that cannot cut the last wanted bar short; one more bar may come back).
   */
  async candlesOf(
    instrument: InstrumentRecord,
    tfMs: number,
    range: SeriesRange,
    maxBars?: number,
  ): Promise<CandleSeries> {
    const source = this.sourceOf(instrument, tfMs);
    const buckets = bucketRange(range, tfMs);
    if (source.kind === 'candles') {
      if (tfMs % candleChunkSpan(source.storedMs) === 0) {
        // Whole chunks per bar: the summaries are the answer, no packed bytes are read.
        const limit = maxBars === undefined ? undefined : maxBars + 1;
        return this.store.candlesFromSummaries(instrument.id, buckets, source.storedMs, tfMs, limit);
      }
      const rows = maxBars === undefined ? undefined : (maxBars + 1) * (tfMs / source.storedMs);
      const stored = await this.store.loadCandles(instrument.id, buckets, source.storedMs, rows);
      return aggregateCandles(stored, tfMs);
    }
    if (maxBars !== undefined) {
      // Start the bar budget at the first print, not at a `from` long before the data.
      const first = await this.store.firstTradeTime(instrument.id, buckets.from);
      const start = first === null ? buckets.from : Math.max(buckets.from, Math.floor(first / tfMs) * tfMs);
      buckets.to = Math.min(buckets.to, start + (maxBars + 1) * tfMs);
    }
    return candlesFromTrades(await this.store.loadTrades(instrument.id, buckets), tfMs);
  }

  /** Trade prints in `[from, to)`, time order. */
  async trades(request: SeriesRequest): Promise<TradeSeries> {
    const instrument = await this.instrument(request.exchange, request.symbol);
    return this.store.loadTrades(instrument.id, request);
  }

  /**
   * The stored candles (the instrument's own timeframe: detail bars) of `[from, to)` as a stream
   * of decoded chunks in time order, for consumers that process a series piece by piece in
   * bounded memory. Each piece is a CandleSeries of at most a chunk (1440 bars).
   */
  async *candleChunks(request: SeriesRequest): AsyncGenerator<CandleSeries> {
    const instrument = await this.instrument(request.exchange, request.symbol);
    const stored = instrument.candleTimeframeMs;
    if (stored === null) throw new TimeframeUnavailableError('candles', null, instrument.hasTrades);
    yield* this.store.candleChunks(instrument.id, { from: request.from, to: request.to }, stored);
  }

  /** Trade prints of `[from, to)` as a stream of decoded chunks (an hour of prints each), in time order. */
  async *tradeChunks(request: SeriesRequest): AsyncGenerator<TradeSeries> {
    const instrument = await this.instrument(request.exchange, request.symbol);
    yield* this.store.tradeChunks(instrument.id, { from: request.from, to: request.to });
  }
}
