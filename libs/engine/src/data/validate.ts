import { EngineError } from '../errors';
import type { CandleSeries, TradeSeries } from '../types';

function describeTime(t: number): string {
  return Number.isFinite(t) && Math.abs(t) < 8.64e15 ? new Date(t).toISOString() : String(t);
}

function bad(series: string, index: number, time: number, problem: string): EngineError {
  return new EngineError('INVALID_MARKET_DATA', `${series}[${index}] (${describeTime(time)}): ${problem}`, {
    series,
    index,
  });
}

/** Index of the first bar that breaks a rule, or -1. Kept free of string building: it is the hot path. */
function firstBadCandle(series: CandleSeries): number {
  const { time, open, high, low, close, volume } = series;
  const n = time.length;
  let previous = -Infinity;
  for (let i = 0; i < n; i++) {
    const t = time[i];
    const o = open[i];
    const h = high[i];
    const l = low[i];
    const c = close[i];
    const v = volume[i];
    // Written so that NaN fails every test: `!(a > b)` rather than `a <= b`.
    if (
      !(t > previous) ||
      t === Infinity ||
      !(l > 0) ||
      !(h >= l) ||
      h === Infinity ||
      !(o >= l && o <= h) ||
      !(c >= l && c <= h) ||
      !(v >= 0) ||
      v === Infinity
    ) {
      return i;
    }
    previous = t;
  }
  return -1;
}

function candleProblem(series: CandleSeries, i: number): string {
  const t = series.time[i];
  const previous = i > 0 ? series.time[i - 1] : -Infinity;
  const o = series.open[i];
  const h = series.high[i];
  const l = series.low[i];
  const c = series.close[i];
  const v = series.volume[i];
  if (!Number.isFinite(t)) return 'time is not a finite number';
  if (t === previous) return 'duplicate time';
  if (t < previous) return 'time is before the previous bar (unsorted)';
  if (![o, h, l, c].every((x) => Number.isFinite(x) && x > 0)) {
    return `prices must be finite and positive (open ${o}, high ${h}, low ${l}, close ${c})`;
  }
  if (h < l) return `high ${h} < low ${l}`;
  if (o > h || o < l || c > h || c < l) return `open ${o} or close ${c} outside [low ${l}, high ${h}]`;
  return `volume must be finite and non-negative, got ${v}`;
}

/**
 * Fails fast on data the simulation cannot trust: arrays of unequal length, non-finite or
 * non-positive prices, `high < low`, an open or close outside [low, high], negative or
 * non-finite volume, and times that are not strictly ascending (unsorted or duplicate).
 * Gaps (missing bars) are legal: they stay gaps.
 */
export function validateCandles(series: CandleSeries, label = 'candles'): void {
  const { time, open, high, low, close, volume, timeframeMs } = series;
  const n = time.length;
  if (!(Number.isFinite(timeframeMs) && timeframeMs > 0)) {
    throw new EngineError(
      'INVALID_MARKET_DATA',
      `${label}: timeframeMs must be a positive number, got ${timeframeMs}`,
      {
        series: label,
      },
    );
  }
  if (open.length !== n || high.length !== n || low.length !== n || close.length !== n || volume.length !== n) {
    throw new EngineError('INVALID_MARKET_DATA', `${label}: time, open, high, low, close and volume differ in length`, {
      series: label,
    });
  }
  const i = firstBadCandle(series);
  if (i >= 0) throw bad(label, i, time[i], candleProblem(series, i));
}

function firstBadPrint(trades: TradeSeries): number {
  const { time, price, amount, side } = trades;
  const n = time.length;
  let previous = -Infinity;
  for (let i = 0; i < n; i++) {
    const t = time[i];
    const p = price[i];
    const a = amount[i];
    const s = side[i];
    if (
      !(t >= previous) ||
      t === Infinity ||
      !(p > 0) ||
      p === Infinity ||
      !(a >= 0) ||
      a === Infinity ||
      s > 1 ||
      s < -1
    ) {
      return i;
    }
    previous = t;
  }
  return -1;
}

function printProblem(trades: TradeSeries, i: number): string {
  const t = trades.time[i];
  const p = trades.price[i];
  const a = trades.amount[i];
  if (!Number.isFinite(t)) return 'time is not a finite number';
  if (i > 0 && t < trades.time[i - 1]) return 'time is before the previous print (unsorted)';
  if (!(p > 0) || p === Infinity) return `price must be finite and positive, got ${p}`;
  if (!(a >= 0) || a === Infinity) return `amount must be finite and non-negative, got ${a}`;
  return `side must be 1, -1 or 0, got ${trades.side[i]}`;
}

/**
 * Trade prints: equal lengths, finite times in non-decreasing order (several prints may share a
 * millisecond), finite positive prices, finite non-negative amounts, side in {-1, 0, 1}.
 */
export function validateTrades(trades: TradeSeries, label = 'trades'): void {
  const { time, price, amount, side } = trades;
  const n = time.length;
  if (price.length !== n || amount.length !== n || side.length !== n) {
    throw new EngineError('INVALID_MARKET_DATA', `${label}: time, price, amount and side differ in length`, {
      series: label,
    });
  }
  const i = firstBadPrint(trades);
  if (i >= 0) throw bad(label, i, time[i], printProblem(trades, i));
}
