import { JsonFloat64Array } from '../json';
import type { EquityCurve } from '../types';

export const MAX_DOWNSAMPLED_POINTS = 2000;

/**
 * At most `maxPoints` points of a curve that keep its shape where it matters: the first and last
 * points, and in each of (maxPoints − 2) / 2 equal buckets of the points between, the lowest and
 * the highest point (in time order; one point when they coincide). The global maximum and
 * minimum therefore always survive, so drawdowns read off the small curve are the real ones.
 */
export function downsampleEquity(
  time: ArrayLike<number>,
  equity: ArrayLike<number>,
  maxPoints = MAX_DOWNSAMPLED_POINTS,
): EquityCurve {
  const n = equity.length;
  if (n <= maxPoints) return { time: JsonFloat64Array.from(time), equity: JsonFloat64Array.from(equity) };
  const outTime: number[] = [time[0]];
  const outEquity: number[] = [equity[0]];
  const buckets = Math.floor((maxPoints - 2) / 2);
  const inner = n - 2;
  for (let b = 0; b < buckets; b++) {
    const from = 1 + Math.floor((b * inner) / buckets);
    const to = 1 + Math.floor(((b + 1) * inner) / buckets);
    if (from >= to) continue;
    let lo = from;
    let hi = from;
    let loValue = equity[from];
    let hiValue = loValue;
    for (let i = from + 1; i < to; i++) {
      const v = equity[i];
      if (v < loValue) {
        loValue = v;
        lo = i;
      } else if (v > hiValue) {
        hiValue = v;
        hi = i;
      }
    }
    const first = lo < hi ? lo : hi;
    const second = lo < hi ? hi : lo;
    outTime.push(time[first]);
    outEquity.push(equity[first]);
    if (second !== first) {
      outTime.push(time[second]);
      outEquity.push(equity[second]);
    }
  }
  outTime.push(time[n - 1]);
  outEquity.push(equity[n - 1]);
  return { time: JsonFloat64Array.from(outTime), equity: JsonFloat64Array.from(outEquity) };
}
