import { EngineError } from '../errors';
import type { CandleSeries, TradeSeries } from '../types';
import { inferTimeframe } from './timeframe';

function bucketStart(t: number, timeframeMs: number): number {
  return Math.floor(t / timeframeMs) * timeframeMs;
}

function checkTimeframe(timeframeMs: number): void {
  if (!(Number.isSafeInteger(timeframeMs) && timeframeMs > 0)) {
    throw new EngineError(
      'INVALID_SETTINGS',
      `timeframe must be a positive whole number of milliseconds, got ${timeframeMs}`,
    );
  }
}

/** Number of epoch-aligned buckets the ascending `time` falls into. */
function countBuckets(time: Float64Array, timeframeMs: number): number {
  let buckets = 0;
  let last = NaN;
  for (let i = 0; i < time.length; i++) {
    const b = bucketStart(time[i], timeframeMs);
    if (b !== last) {
      buckets++;
      last = b;
    }
  }
  return buckets;
}

/** A zeroed series of `n` candles: one Float64Array per field. */
export function allocateCandles(n: number, timeframeMs: number): CandleSeries {
  return {
    time: new Float64Array(n),
    open: new Float64Array(n),
    high: new Float64Array(n),
    low: new Float64Array(n),
    close: new Float64Array(n),
    volume: new Float64Array(n),
    timeframeMs,
  };
}

/**
 * Candles of a higher timeframe: buckets start at epoch multiples of `timeframeMs` (so 1h bars
 * start on the hour and 1w bars on Thursdays, the weekday of 1970-01-01); first open, highest
 * high, lowest low, last close, summed volume. A bucket without source bars is not produced:
 * gaps stay gaps. `timeframeMs` must be a multiple of the series' own timeframe.
 */
export function aggregateCandles(series: CandleSeries, timeframeMs: number): CandleSeries {
  checkTimeframe(timeframeMs);
  if (timeframeMs === series.timeframeMs) return series;
  if (timeframeMs < series.timeframeMs || timeframeMs % series.timeframeMs !== 0) {
    throw new EngineError(
      'INVALID_SETTINGS',
      `cannot aggregate ${series.timeframeMs} ms bars into ${timeframeMs} ms bars: the target must be a multiple of the source`,
    );
  }
  const { time, open, high, low, close, volume } = series;
  const n = time.length;
  const out = allocateCandles(countBuckets(time, timeframeMs), timeframeMs);
  let k = -1;
  let last = NaN;
  for (let i = 0; i < n; i++) {
    const b = bucketStart(time[i], timeframeMs);
    if (b !== last) {
      k++;
      last = b;
      out.time[k] = b;
      out.open[k] = open[i];
      out.high[k] = high[i];
      out.low[k] = low[i];
      out.volume[k] = volume[i];
    } else {
      if (high[i] > out.high[k]) out.high[k] = high[i];
      if (low[i] < out.low[k]) out.low[k] = low[i];
      out.volume[k] += volume[i];
    }
    out.close[k] = close[i];
  }
  return out;
}

/**
 * Candles built from trade prints: first, highest, lowest and last print price of each
 * epoch-aligned bucket, volume = summed amount. Buckets without prints are not produced.
 */
export function candlesFromTrades(trades: TradeSeries, timeframeMs: number): CandleSeries {
  checkTimeframe(timeframeMs);
  const { time, price, amount } = trades;
  const n = time.length;
  const out = allocateCandles(countBuckets(time, timeframeMs), timeframeMs);
  const oTime = out.time;
  const oOpen = out.open;
  const oHigh = out.high;
  const oLow = out.low;
  const oClose = out.close;
  const oVolume = out.volume;
  let k = -1;
  let last = NaN;
  for (let i = 0; i < n; i++) {
    const t = time[i];
    const p = price[i];
    const b = bucketStart(t, timeframeMs);
    if (b !== last) {
      k++;
      last = b;
      oTime[k] = b;
      oOpen[k] = p;
      oHigh[k] = p;
      oLow[k] = p;
      oVolume[k] = amount[i];
    } else {
      if (p > oHigh[k]) oHigh[k] = p;
      if (p < oLow[k]) oLow[k] = p;
      oVolume[k] += amount[i];
    }
    oClose[k] = p;
  }
  return out;
}

/**
 * A CandleSeries from rows of `[timeMs, open, high, low, close, volume]` (the freqtrade/ccxt
 * layout). The timeframe is inferred from the most common spacing when not given.
 */
export function candlesFromRows(rows: ReadonlyArray<ArrayLike<number>>, timeframeMs?: number): CandleSeries {
  const n = rows.length;
  const out = allocateCandles(n, 0);
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    out.time[i] = r[0];
    out.open[i] = r[1];
    out.high[i] = r[2];
    out.low[i] = r[3];
    out.close[i] = r[4];
    out.volume[i] = r[5];
  }
  return { ...out, timeframeMs: timeframeMs ?? inferTimeframe(out.time) };
}

/** Bars `[from, to)` of a series, sharing memory with it. */
export function sliceCandles(series: CandleSeries, from: number, to: number): CandleSeries {
  return {
    time: series.time.subarray(from, to),
    open: series.open.subarray(from, to),
    high: series.high.subarray(from, to),
    low: series.low.subarray(from, to),
    close: series.close.subarray(from, to),
    volume: series.volume.subarray(from, to),
    timeframeMs: series.timeframeMs,
  };
}
