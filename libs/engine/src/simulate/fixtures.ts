import type { CandleSeries, SignalSet, TradeSeries } from '../types';
import { allocateCandles } from '../data/aggregate';
import { resolveParams, type SimParams } from './params';
import type { StrategyDefinition } from '../types';

/** Test helpers: small hand-written markets and signal tables. */

export const MINUTE = 60_000;

/** Candles from `[open, high, low, close]` rows (volume 1), bar i at `start + i × timeframeMs`. */
export function bars(rows: ReadonlyArray<readonly number[]>, timeframeMs = MINUTE, start = 0): CandleSeries {
  const n = rows.length;
  const s = allocateCandles(n, timeframeMs);
  rows.forEach((r, i) => {
    s.time[i] = start + i * timeframeMs;
    s.open[i] = r[0];
    s.high[i] = r[1];
    s.low[i] = r[2];
    s.close[i] = r[3];
    s.volume[i] = r[4] ?? 1;
  });
  return s;
}

export interface SignalIndices {
  entryLong?: number[];
  exitLong?: number[];
  entryShort?: number[];
  exitShort?: number[];
}

/** Signals set at the listed bar indices (decided at those bars' closes). */
export function signalsAt(n: number, at: SignalIndices): SignalSet {
  const make = (idx: number[] = []) => {
    const a = new Uint8Array(n);
    for (const i of idx) a[i] = 1;
    return a;
  };
  return {
    entryLong: make(at.entryLong),
    exitLong: make(at.exitLong),
    entryShort: make(at.entryShort),
    exitShort: make(at.exitShort),
  };
}

/** Prints from `[timeMs, price, amount]` rows. */
export function prints(rows: ReadonlyArray<readonly [number, number, number]>): TradeSeries {
  const n = rows.length;
  const t: TradeSeries = {
    time: new Float64Array(n),
    price: new Float64Array(n),
    amount: new Float64Array(n),
    side: new Int8Array(n),
  };
  rows.forEach((r, i) => {
    t.time[i] = r[0];
    t.price[i] = r[1];
    t.amount[i] = r[2];
  });
  return t;
}

export type DefinitionPart = Partial<Omit<StrategyDefinition, 'version' | 'indicators' | 'entry'>>;

/** Simulator parameters: no fee and no slippage unless given, all-in equity sizing. */
export function simParams(
  definition: DefinitionPart = {},
  settings: {
    feeRate?: number;
    slippageBps?: number;
    initialCapital?: number;
    latencyMs?: number;
    impactCoefficient?: number;
    impactLookbackMs?: number;
  } = {},
  precision: 'kline' | 'hybrid' | 'tick' = 'kline',
): SimParams {
  return resolveParams(
    { version: 1, indicators: {}, entry: {}, ...definition },
    {
      initialCapital: settings.initialCapital ?? 1000,
      feeRate: settings.feeRate ?? 0,
      slippageBps: settings.slippageBps ?? 0,
      tick: {
        latencyMs: settings.latencyMs ?? 0,
        impactCoefficient: settings.impactCoefficient ?? 0,
        impactLookbackMs: settings.impactLookbackMs,
      },
    },
    precision,
  );
}
