/**
 * Windowed kernels keep running sums and re-add the whole window from scratch every
 * max(period, RESYNC_BARS) bars and after each NaN, so rounding drift stays bounded on long
 * series at an amortised cost of at most one extra addition per bar. The schedule depends only
 * on earlier bars, so a value never depends on later data.
 *
 * Every kernel has the same shape: an outer loop that handles warm-up, NaN and the full window
 * sum, and a tight inner loop for the running update, which is where the time goes.
 */
export const RESYNC_BARS = 1024;

/**
 * Simple moving average of the last `period` values. NaN while fewer than `period` clean values
 * end at the bar (warm-up, or a NaN inside the window).
 */
export function smaInto(src: Float64Array, period: number, out: Float64Array): Float64Array {
  const n = src.length;
  const resyncEvery = Math.max(period, RESYNC_BARS);
  let lastNaN = -1;
  let i = 0;
  while (i < n) {
    const x = src[i];
    if (x !== x) lastNaN = i;
    if (i - lastNaN < period) {
      out[i++] = NaN;
      continue;
    }
    let sum = 0;
    for (let j = i - period + 1; j <= i; j++) sum += src[j];
    out[i++] = sum / period;
    for (const end = Math.min(n, i + resyncEvery); i < end; i++) {
      const y = src[i];
      if (y !== y) break;
      sum = sum - src[i - period] + y;
      out[i] = sum / period;
    }
  }
  return out;
}

/**
 * Exponential smoothing `prev + alpha * (x - prev)` seeded with the SMA of the first `period`
 * values. A NaN input restarts the warm-up: recursive state cannot skip a missing value.
 * With alpha = 2 / (period + 1) this is the EMA; with alpha = 1 / period, Wilder's smoothing.
 */
export function expSmoothInto(src: Float64Array, period: number, alpha: number, out: Float64Array): Float64Array {
  const n = src.length;
  let i = 0;
  while (i < n) {
    let count = 0;
    let sum = 0;
    for (; i < n && count < period; i++) {
      const x = src[i];
      out[i] = NaN;
      if (x !== x) {
        count = 0;
        sum = 0;
      } else {
        sum += x;
        count++;
      }
    }
    if (count < period) break;
    let prev = sum / period;
    out[i - 1] = prev;
    for (; i < n; i++) {
      const x = src[i];
      if (x !== x) break;
      prev = (x - prev) * alpha + prev;
      out[i] = prev;
    }
  }
  return out;
}

export function emaInto(src: Float64Array, period: number, out: Float64Array): Float64Array {
  return expSmoothInto(src, period, 2 / (period + 1), out);
}

/** Linearly weighted moving average: weight 1 for the oldest value up to `period` for the newest. */
export function wmaInto(src: Float64Array, period: number, out: Float64Array): Float64Array {
  const n = src.length;
  const resyncEvery = Math.max(period, RESYNC_BARS);
  const denominator = (period * (period + 1)) / 2;
  let lastNaN = -1;
  let i = 0;
  while (i < n) {
    const x = src[i];
    if (x !== x) lastNaN = i;
    if (i - lastNaN < period) {
      out[i++] = NaN;
      continue;
    }
    let sum = 0;
    let weighted = 0;
    const start = i - period;
    for (let k = 1; k <= period; k++) {
      const v = src[start + k];
      sum += v;
      weighted += k * v;
    }
    out[i++] = weighted / denominator;
    for (const end = Math.min(n, i + resyncEvery); i < end; i++) {
      const y = src[i];
      if (y !== y) break;
      // Every older value loses one unit of weight (−sum) and the new one enters with `period`.
      weighted = weighted - sum + period * y;
      sum = sum - src[i - period] + y;
      out[i] = weighted / denominator;
    }
  }
  return out;
}
