/**
 * Highest or lowest value of the last `period` bars, current bar included, by the van Herk /
 * Gil-Werman method: the series is cut into blocks of `period` bars; a window ending at bar i
 * is the tail of the previous block (a suffix extreme, computed once that block is complete)
 * plus the head of the current block (a running prefix extreme). Three comparisons per bar,
 * O(period) memory, and only bars up to i are read for the value at i. Math.max/min propagate
 * NaN, so a NaN anywhere in the window gives NaN.
 */
export function highestInto(src: Float64Array, period: number, out: Float64Array): Float64Array {
  const n = src.length;
  const suffix = new Float64Array(period);
  for (let start = 0; start < n; start += period) {
    const end = Math.min(start + period, n);
    let prefix = -Infinity;
    for (let i = start; i < end; i++) {
      prefix = Math.max(prefix, src[i]);
      const k = i - start + 1;
      out[i] = k === period ? prefix : start === 0 ? NaN : Math.max(suffix[k], prefix);
    }
    let tail = -Infinity;
    for (let j = end - 1; j >= start; j--) {
      tail = Math.max(tail, src[j]);
      suffix[j - start] = tail;
    }
  }
  return out;
}

// The same as highestInto with min; kept separate so each stays monomorphic and fast.
export function lowestInto(src: Float64Array, period: number, out: Float64Array): Float64Array {
  const n = src.length;
  const suffix = new Float64Array(period);
  for (let start = 0; start < n; start += period) {
    const end = Math.min(start + period, n);
    let prefix = Infinity;
    for (let i = start; i < end; i++) {
      prefix = Math.min(prefix, src[i]);
      const k = i - start + 1;
      out[i] = k === period ? prefix : start === 0 ? NaN : Math.min(suffix[k], prefix);
    }
    let tail = Infinity;
    for (let j = end - 1; j >= start; j--) {
      tail = Math.min(tail, src[j]);
      suffix[j - start] = tail;
    }
  }
  return out;
}

export interface Channel {
  upper: Float64Array;
  middle: Float64Array;
  lower: Float64Array;
}

/** Donchian channel: highest high and lowest low of the last `period` bars (current bar included). */
export function donchian(high: Float64Array, low: Float64Array, period: number): Channel {
  const n = high.length;
  const upper = highestInto(high, period, new Float64Array(n));
  const lower = lowestInto(low, period, new Float64Array(n));
  const middle = new Float64Array(n);
  for (let i = 0; i < n; i++) middle[i] = (upper[i] + lower[i]) / 2;
  return { upper, middle, lower };
}
