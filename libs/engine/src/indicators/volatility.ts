import type { Channel } from './channels';
import { expSmoothInto, RESYNC_BARS, smaInto } from './moving-averages';

/**
 * Bollinger Bands: middle = SMA(period), bands at ± stdDev × the population standard deviation
 * (divisor `period`) of the same window.
 */
export function bollingerBands(src: Float64Array, period: number, stdDev: number): Channel {
  const n = src.length;
  const middle = smaInto(src, period, new Float64Array(n));
  const upper = new Float64Array(n);
  const lower = new Float64Array(n);
  // Re-summed more often than the sums: the deviation is a small difference of large terms.
  const resyncEvery = Math.max(period, RESYNC_BARS / 8);
  let lastNaN = -1;
  let i = 0;
  while (i < n) {
    const x = src[i];
    if (x !== x) lastNaN = i;
    if (i - lastNaN < period) {
      upper[i] = lower[i] = NaN;
      i++;
      continue;
    }
    // The deviation is tracked on values shifted by a nearby level: the sliding update is
    // sensitive to the rounding of the running mean, which is then proportional to the distance
    // from that level instead of to the price itself.
    const shift = x;
    let shiftedMean = 0;
    for (let j = i - period + 1; j <= i; j++) shiftedMean += src[j] - shift;
    shiftedMean /= period;
    let m2 = 0;
    for (let j = i - period + 1; j <= i; j++) {
      const d = src[j] - shift - shiftedMean;
      m2 += d * d;
    }
    let width = Math.sqrt(m2 / period) * stdDev;
    upper[i] = middle[i] + width;
    lower[i] = middle[i] - width;
    // Bars since the value last changed: a window of identical values has no deviation at all,
    // which the running update (and its rounding residue) would not give exactly.
    let unchanged = 1;
    i++;
    for (const end = Math.min(n, i + resyncEvery); i < end; i++) {
      const y = src[i];
      if (y !== y) break;
      // Sliding Welford update: replace the value leaving the window by the one entering it.
      const entering = y - shift;
      unchanged = y === src[i - 1] ? unchanged + 1 : 1;
      if (unchanged >= period) {
        shiftedMean = entering;
        m2 = 0;
      } else {
        const leaving = src[i - period] - shift;
        const delta = entering - leaving;
        const previousMean = shiftedMean;
        shiftedMean += delta / period;
        m2 += delta * (entering - shiftedMean + leaving - previousMean);
        if (m2 < 0) m2 = 0;
      }
      width = Math.sqrt(m2 / period) * stdDev;
      upper[i] = middle[i] + width;
      lower[i] = middle[i] - width;
    }
  }
  return { upper, middle, lower };
}

/**
 * Average true range with Wilder's smoothing. Bar 0 has no previous close and so no true range
 * (as in TA-Lib): the first value, at bar `period`, is the mean true range of bars 1..period.
 */
export function atr(high: Float64Array, low: Float64Array, close: Float64Array, period: number): Float64Array {
  const n = high.length;
  const trueRange = new Float64Array(n);
  if (n > 0) trueRange[0] = NaN;
  for (let i = 1; i < n; i++) {
    const h = high[i];
    const l = low[i];
    const prevClose = close[i - 1];
    trueRange[i] = Math.max(h - l, Math.abs(h - prevClose), Math.abs(l - prevClose));
  }
  return expSmoothInto(trueRange, period, 1 / period, trueRange);
}
