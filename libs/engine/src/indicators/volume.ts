import { RESYNC_BARS } from './moving-averages';

/**
 * Volume-weighted average of the typical price (high + low + close) / 3.
 * With `period`: over the last `period` bars (current included). Without: cumulative from the
 * first bar of the series (there is no session reset; a NaN bar restarts the accumulation).
 * NaN while the window holds no volume at all.
 */
export function vwap(
  high: Float64Array,
  low: Float64Array,
  close: Float64Array,
  volume: Float64Array,
  period: number | undefined,
): Float64Array {
  const n = close.length;
  const out = new Float64Array(n);
  if (period === undefined) {
    let sumPv = 0;
    let sumV = 0;
    for (let i = 0; i < n; i++) {
      const v = volume[i];
      const pv = ((high[i] + low[i] + close[i]) / 3) * v;
      if (pv !== pv) {
        sumPv = 0;
        sumV = 0;
        out[i] = NaN;
        continue;
      }
      sumPv += pv;
      sumV += v;
      out[i] = sumV > 0 ? sumPv / sumV : NaN;
    }
    return out;
  }
  const pvs = new Float64Array(n);
  for (let i = 0; i < n; i++) pvs[i] = ((high[i] + low[i] + close[i]) / 3) * volume[i];
  const resyncEvery = Math.max(period, RESYNC_BARS);
  let lastNaN = -1;
  let i = 0;
  while (i < n) {
    if (pvs[i] !== pvs[i]) lastNaN = i;
    if (i - lastNaN < period) {
      out[i++] = NaN;
      continue;
    }
    let sumPv = 0;
    let sumV = 0;
    // Counted exactly so that a window of zero volumes is recognised despite rounding residue.
    let withVolume = 0;
    for (let j = i - period + 1; j <= i; j++) {
      sumPv += pvs[j];
      sumV += volume[j];
      if (volume[j] !== 0) withVolume++;
    }
    out[i] = withVolume > 0 && sumV > 0 ? sumPv / sumV : NaN;
    i++;
    for (const end = Math.min(n, i + resyncEvery); i < end; i++) {
      const pv = pvs[i];
      if (pv !== pv) break;
      const old = i - period;
      sumPv = sumPv - pvs[old] + pv;
      sumV = sumV - volume[old] + volume[i];
      if (volume[old] !== 0) withVolume--;
      if (volume[i] !== 0) withVolume++;
      out[i] = withVolume > 0 && sumV > 0 ? sumPv / sumV : NaN;
    }
  }
  return out;
}
