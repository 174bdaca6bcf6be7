import { highestInto, lowestInto } from './channels';
import { emaInto, smaInto } from './moving-averages';

/**
 * Wilder's RSI: average gain and loss seeded with the plain mean of the first `period` changes,
 * then smoothed with alpha = 1 / period. First value at bar `period`. When both averages are 0
 * (no movement at all) the RSI is 50; a NaN input restarts the warm-up.
 */
export function rsiInto(src: Float64Array, period: number, out: Float64Array): Float64Array {
  const n = src.length;
  const alpha = 1 / period;
  let i = 0;
  while (i < n) {
    // Warm-up: `period` changes between consecutive clean values.
    let prev = NaN;
    let count = 0;
    let gainSum = 0;
    let lossSum = 0;
    for (; i < n && count < period; i++) {
      const x = src[i];
      out[i] = NaN;
      if (x !== x || prev !== prev) {
        count = 0;
        gainSum = 0;
        lossSum = 0;
      } else if (x > prev) {
        gainSum += x - prev;
        count++;
      } else {
        lossSum += prev - x;
        count++;
      }
      prev = x;
    }
    if (count < period) break;
    let avgGain = gainSum / period;
    let avgLoss = lossSum / period;
    out[i - 1] = rsiValue(avgGain, avgLoss);
    for (; i < n; i++) {
      const x = src[i];
      if (x !== x) break;
      const change = x - prev;
      prev = x;
      avgGain += ((change > 0 ? change : 0) - avgGain) * alpha;
      avgLoss += ((change < 0 ? -change : 0) - avgLoss) * alpha;
      out[i] = rsiValue(avgGain, avgLoss);
    }
  }
  return out;
}

function rsiValue(avgGain: number, avgLoss: number): number {
  const total = avgGain + avgLoss;
  return total === 0 ? 50 : (100 * avgGain) / total;
}

/** Rate of change in percent over `period` bars; NaN when the reference value is 0. */
export function rocInto(src: Float64Array, period: number, out: Float64Array): Float64Array {
  const n = src.length;
  for (let i = 0; i < n && i < period; i++) out[i] = NaN;
  for (let i = period; i < n; i++) {
    const base = src[i - period];
    out[i] = base === 0 ? NaN : ((src[i] - base) / base) * 100;
  }
  return out;
}

export interface MacdOutput {
  macd: Float64Array;
  signal: Float64Array;
  histogram: Float64Array;
}

/** MACD line = EMA(fast) − EMA(slow); signal = EMA(signal) of the MACD line; histogram = line − signal. */
export function macd(src: Float64Array, fast: number, slow: number, signalPeriod: number): MacdOutput {
  const n = src.length;
  const line = emaInto(src, fast, new Float64Array(n));
  const slowEma = emaInto(src, slow, new Float64Array(n));
  for (let i = 0; i < n; i++) line[i] -= slowEma[i];
  const signal = emaInto(line, signalPeriod, new Float64Array(n));
  const histogram = slowEma;
  for (let i = 0; i < n; i++) histogram[i] = line[i] - signal[i];
  return { macd: line, signal, histogram };
}

export interface StochasticOutput {
  k: Float64Array;
  d: Float64Array;
}

/**
 * Stochastic oscillator. Raw %K = 100 × (close − lowest low) / (highest high − lowest low) over
 * `period` bars, 50 when that range is 0; %K = SMA(kSmoothing) of raw %K (kSmoothing 1 = fast
 * stochastic); %D = SMA(dPeriod) of %K.
 */
export function stochastic(
  high: Float64Array,
  low: Float64Array,
  close: Float64Array,
  period: number,
  kSmoothing: number,
  dPeriod: number,
): StochasticOutput {
  const n = close.length;
  const raw = highestInto(high, period, new Float64Array(n));
  const lowest = lowestInto(low, period, new Float64Array(n));
  for (let i = 0; i < n; i++) {
    const ll = lowest[i];
    const range = raw[i] - ll;
    const c = close[i];
    raw[i] = range > 0 ? ((c - ll) / range) * 100 : range === 0 && c === c ? 50 : NaN;
  }
  const k = kSmoothing > 1 ? smaInto(raw, kSmoothing, lowest) : raw;
  const d = smaInto(k, dPeriod, new Float64Array(n));
  return { k, d };
}
