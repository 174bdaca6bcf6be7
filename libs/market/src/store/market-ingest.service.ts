import { Injectable } from '@nestjs/common';
import { MarketCache } from '../cache/market-cache';
import { TimeframeConflictError } from '../market.errors';
import { formatTimeframe } from '../symbols';
import { InstrumentRecord } from './instrument.repository';
import { MarketStore, MarketWrite } from './market-store';

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
 * `MarketStore.write` themselves and finish with `finishWrite`.
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
      await w.beginCandles();
      await writeInBatches(w, rows, (r) => `${r[0]}\t${r[1]}\t${r[2]}\t${r[3]}\t${r[4]}\t${r[5]}\n`);
      const { staged, inserted } = await w.commitStage(instrument.id);
      const dataVersion = inserted > 0 ? await w.markChanged(instrument.id, timeframeMs) : instrument.dataVersion;
      return { inserted, duplicates: staged - inserted, dataVersion };
    });
    await this.finishWrite(instrument.id, outcome.inserted, 'candles');
    return outcome;
  }

  async storeTrades(instrument: InstrumentRecord, rows: readonly TradeRow[]): Promise<StoreOutcome> {
    if (rows.length === 0) return { inserted: 0, duplicates: 0, dataVersion: instrument.dataVersion };
    const outcome = await this.store.write(async (w) => {
      await w.beginTrades();
      await writeInBatches(w, rows, (r) => `${cleanId(r.id)}\t${r.time}\t${r.side}\t${r.price}\t${r.amount}\n`);
      const { staged, inserted } = await w.commitStage(instrument.id);
      const dataVersion = inserted > 0 ? await w.markChanged(instrument.id) : instrument.dataVersion;
      return { inserted, duplicates: staged - inserted, dataVersion };
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

/** Trade ids go into COPY text: tabs, newlines and backslashes would break the line. */
export function cleanId(id: string): string {
  return id.replace(/[\t\n\r\\]/g, '_');
}

async function writeInBatches<T>(w: MarketWrite, rows: readonly T[], line: (row: T) => string): Promise<void> {
  const BATCH = 5_000;
  for (let i = 0; i < rows.length; i += BATCH) {
    let chunk = '';
    const end = Math.min(rows.length, i + BATCH);
    for (let k = i; k < end; k++) chunk += line(rows[k]);
    await w.write(chunk);
  }
}
