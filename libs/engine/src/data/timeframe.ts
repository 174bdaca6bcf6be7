import { EngineError } from '../errors';

const UNIT_MS: Record<string, number> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/**
 * `'1s' | '5m' | '1h' | '1d' | '1w' …` → milliseconds. Units are case-sensitive (`m` is a minute);
 * months are not fixed-length and are rejected.
 */
export function parseTimeframe(timeframe: string): number {
  const match = /^([1-9]\d*)([smhdw])$/.exec(timeframe.trim());
  if (!match) {
    throw new EngineError(
      'INVALID_SETTINGS',
      `invalid timeframe "${timeframe}": expected a positive whole number followed by s, m, h, d or w (e.g. 1m, 4h, 1d)`,
    );
  }
  return Number(match[1]) * UNIT_MS[match[2]];
}

/** Milliseconds → the shortest `parseTimeframe` spelling (`3_600_000` → `'1h'`). */
export function formatTimeframe(timeframeMs: number): string {
  for (const unit of ['w', 'd', 'h', 'm', 's']) {
    const ms = UNIT_MS[unit];
    if (timeframeMs >= ms && timeframeMs % ms === 0) return `${timeframeMs / ms}${unit}`;
  }
  return `${timeframeMs}ms`;
}

/**
 * The bar length of a series whose timeframe is not stated: the most frequent spacing between
 * consecutive times (gaps are rarer than regular steps), the smaller one on a tie. Monthly data
 * yields 31 days. Needs at least two distinct times.
 */
export function inferTimeframe(time: ArrayLike<number>): number {
  const counts = new Map<number, number>();
  for (let i = 1; i < time.length; i++) {
    const step = time[i] - time[i - 1];
    if (step > 0) counts.set(step, (counts.get(step) ?? 0) + 1);
  }
  let best = 0;
  let bestCount = 0;
  for (const [step, count] of counts) {
    if (count > bestCount || (count === bestCount && step < best)) {
      best = step;
      bestCount = count;
    }
  }
  if (best === 0) {
    throw new EngineError('INVALID_MARKET_DATA', 'cannot infer a timeframe from fewer than two distinct bar times');
  }
  return best;
}
