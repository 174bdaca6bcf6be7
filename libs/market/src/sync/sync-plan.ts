/**
 * The pure decisions of the exchange sync: which fetched bars may be stored, where the gaps
 * are, how long to wait when rate limited. No I/O and no clock: times come in as arguments.
 */

/** `[openTime, open, high, low, close, volume]`, validated. */
export type SyncBar = [time: number, open: number, high: number, low: number, close: number, volume: number];

/** A stretch without bars: `[start, end)` in open times, `missing` bars long. */
export interface BarGap {
  /** Open time of the first missing bar. */
  start: number;
  /** Open time of the first bar after the gap. */
  end: number;
  missing: number;
}

type RawRow = ArrayLike<number | string | null | undefined>;

/**
 * The bars of one fetched page that the sync stores: open at or after `since`, and closed at
 * `now` (an exchange answers with the still-open current bar too; storing it would freeze a
 * bar that keeps changing). Returns an error message instead when a bar is unusable.
 */
export function closedBars(
  rows: readonly RawRow[],
  since: number,
  now: number,
  timeframeMs: number,
): SyncBar[] | string {
  const bars: SyncBar[] = [];
  let previous = -Infinity;
  for (const row of rows) {
    const bar = Array.from({ length: 6 }, (_, i) => Number(row[i] ?? NaN)) as SyncBar;
    const [time, open, high, low, close, volume] = bar;
    if (!Number.isSafeInteger(time)) return `bar time ${String(row[0])} is not an epoch-millisecond time`;
    if (time <= previous) return `bar ${time} does not come after bar ${previous}`;
    previous = time;
    if (time < since || time + timeframeMs > now) continue;
    if (![open, high, low, close, volume].every(Number.isFinite)) return `bar ${time} has a value that is not a number`;
    if (!(low > 0 && open > 0 && close > 0 && volume >= 0))
      return `bar ${time} has a non-positive price or a negative volume`;
    if (!(high >= low && open >= low && open <= high && close >= low && close <= high)) {
      return `bar ${time} has open or close outside its low-high range`;
    }
    bars.push(bar);
  }
  return bars;
}

/**
 * Gaps between `previous` (open time of the last bar before these, or null when there is none)
 * and the given ascending open times. Bars further apart than one timeframe leave a gap.
 */
export function findGaps(previous: number | null, times: readonly number[], timeframeMs: number): BarGap[] {
  const gaps: BarGap[] = [];
  let last = previous;
  for (const time of times) {
    if (last !== null && time - last > timeframeMs) {
      gaps.push({ start: last + timeframeMs, end: time, missing: Math.round((time - last) / timeframeMs) - 1 });
    }
    last = time;
  }
  return gaps;
}

/** ccxt's precision modes (`exchange.precisionMode`). */
export const PRECISION_MODE = { decimalPlaces: 2, significantDigits: 3, tickSize: 4 } as const;

/**
 * Decimal places of a ccxt market precision: a tick size (`0.01` → 2) or already a count of
 * decimal places. Null when unknown or given as significant digits.
 */
export function precisionDigits(value: number | undefined | null, mode: number): number | null {
  if (value === undefined || value === null || !Number.isFinite(value) || value <= 0) return null;
  if (mode === PRECISION_MODE.decimalPlaces) return Number.isInteger(value) && value <= 30 ? value : null;
  if (mode !== PRECISION_MODE.tickSize) return null;
  for (let digits = 0; digits <= 30; digits++) {
    const scaled = value * 10 ** digits;
    if (Math.abs(scaled - Math.round(scaled)) <= 1e-9 * Math.max(1, scaled)) return digits;
  }
  return null;
}

/**
 * How long to wait before repeating a rate-limited request: the `Retry-After` answer (seconds or
 * an HTTP date) when there is one, else an exponential backoff from one second.
 */
export function rateLimitDelayMs(retryAfter: string | undefined, attempt: number, now: number): number {
  const value = retryAfter?.trim();
  if (value) {
    if (/^\d+(\.\d+)?$/.test(value)) return Math.ceil(Number(value) * 1000);
    const date = Date.parse(value);
    if (Number.isFinite(date)) return Math.max(0, date - now);
  }
  return Math.min(30_000, 1_000 * 2 ** attempt);
}

/** ccxt's taker side as stored: 1 buy, -1 sell, 0 unknown. */
export function tradeSide(side: string | undefined | null): 1 | -1 | 0 {
  return side === 'buy' ? 1 : side === 'sell' ? -1 : 0;
}
