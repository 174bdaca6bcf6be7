import { Injectable } from '@nestjs/common';
import { MarketCache } from '../cache/market-cache';
import { MarketValueError, TimeframeConflictError } from '../market.errors';
import { Decimal, parseDecimal } from './chunk-codec';
import { formatTimeframe } from '../symbols';
import { InstrumentRecord } from './instrument.repository';
import { MarketStore } from './market-store';

/** One candle as stored: open time (epoch ms) and the source's own price digits (or numbers). */
export type CandleRow = readonly [
  time: number,
  open: string | number,
  high: string | number,
  low: string | number,
  close: string | number,
  volume: string | number,
];

export interface TradeRow {
  id: string;
  time: number;
  /** 1 buy, -1 sell, 0 unknown (taker side). */
  side: number;
  price: string | number;
  amount: string | number;
}

export interface StoreOutcome {
  inserted: number;
  duplicates: number;
  dataVersion: number;
}

/**
 * Stores already-validated rows for an instrument in one transaction and tells every node's
 * cache. Used by the exchange sync and the demo seed; file imports stream through
 * `MarketStore.write` themselves and finish with `finishWrite`. Rows merge into the stored
 * chunks: a sync appends to the newest one.
 */
@Injectable()
export class MarketIngest {
  constructor(
    private readonly store: MarketStore,
    private readonly cache: MarketCache,
  ) {}

  /** 409 when the instrument already stores candles of another timeframe. */
  assertTimeframe(instrument: InstrumentRecord, timeframeMs: number): void {
    const stored = instrument.candleTimeframeMs;
    if (stored !== null && stored !== timeframeMs) {
      throw new TimeframeConflictError(
        instrument.exchange,
        instrument.symbol,
        formatTimeframe(stored),
        formatTimeframe(timeframeMs),
      );
    }
  }

  async storeCandles(
    instrument: InstrumentRecord,
    timeframeMs: number,
    rows: readonly CandleRow[],
  ): Promise<StoreOutcome> {
    this.assertTimeframe(instrument, timeframeMs);
    if (rows.length === 0) return { inserted: 0, duplicates: 0, dataVersion: instrument.dataVersion };
    const outcome = await this.store.write(async (w) => {
      await w.lock(instrument.id);
      const sink = w.candles(instrument.id, timeframeMs, refuse);
      for (const r of rows) {
        sink.add({ line: 0, t: r[0], o: exact(r[1]), h: exact(r[2]), l: exact(r[3]), c: exact(r[4]), v: exact(r[5]) });
        await sink.flushReady();
      }
      const { inserted, duplicates } = await sink.finish();
      const dataVersion = inserted > 0 ? await w.markChanged(instrument.id, timeframeMs) : instrument.dataVersion;
      return { inserted, duplicates, dataVersion };
    });
    await this.finishWrite(instrument.id, outcome.inserted, 'candles');
    return outcome;
  }

  async storeTrades(instrument: InstrumentRecord, rows: readonly TradeRow[]): Promise<StoreOutcome> {
    if (rows.length === 0) return { inserted: 0, duplicates: 0, dataVersion: instrument.dataVersion };
    const outcome = await this.store.write(async (w) => {
      await w.lock(instrument.id);
      const sink = w.trades(instrument.id, refuse);
      for (const r of rows) {
        sink.add({
          line: 0,
          id: cleanId(r.id),
          t: r.time,
          side: r.side,
          price: exact(r.price),
          amount: exact(r.amount),
        });
        await sink.flushReady();
      }
      const { inserted, duplicates } = await sink.finish();
      const dataVersion = inserted > 0 ? await w.markChanged(instrument.id) : instrument.dataVersion;
      return { inserted, duplicates, dataVersion };
    });
    await this.finishWrite(instrument.id, outcome.inserted, 'trades');
    return outcome;
  }

  /**
   * After the commit of a write that stored `inserted` new rows: invalidate every node's cache,
   * and refresh the planner's statistics after a bulk load (else a range read of a series that
   * was empty at the last ANALYZE is planned as a bitmap scan plus a sort of every row).
   */
  async finishWrite(instrumentId: string, inserted: number, kind: 'candles' | 'trades'): Promise<void> {
    if (inserted <= 0) return;
    await this.cache.invalidate(instrumentId);
    if (inserted >= BULK_ROWS) await this.store.analyze(kind);
  }
}

/** Writes of at least this many rows refresh the table's planner statistics. */
const BULK_ROWS = 10_000;

/** An exchange's or the seed's value as an exact decimal; one that cannot be stored exactly fails the write. */
function exact(value: string | number): Decimal {
  const d = parseDecimal(value);
  if (!d) throw new MarketValueError(String(value));
  return d;
}

/** Exchange and seed rows carry no line: a row the store refuses fails the whole write. */
function refuse(_line: number, reason: string): never {
  throw new MarketValueError(reason);
}

/** Trade ids are stored newline-separated (and were COPY text before): tabs, newlines and backslashes become `_`. */
export function cleanId(id: string): string {
  return id.replace(/[\t\n\r\\]/g, '_');
}
