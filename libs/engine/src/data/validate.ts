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

/**
 * Whether a time column is regular: its first time and `step` are positive and every time is,
 * bit for bit, `time[0] + i × step` (float64 arithmetic), so that the first time, the step and
 * the length give back the whole column. With a positive first time and step no such time is 0,
 * so `===` (which NaN never passes) is bit equality here: there is no -0 / +0 to confuse.
 */
export function isRegularTime(time: Float64Array, step: number): boolean {
  const n = time.length;
  const start = n > 0 ? time[0] : NaN;
  if (!(start > 0 && step > 0)) return false;
  for (let i = 0; i < n; i++) {
    if (time[i] !== start + i * step) return false;
  }
  return true;
}

/** `scanCandles` results besides a bad bar's index: every bar valid, and the times regular or not. */
const VALID_IRREGULAR = -1;
const VALID_REGULAR = -2;

/**
 * One pass over the bars: the index of the first that breaks a rule, or, when none does,
 * VALID_REGULAR or VALID_IRREGULAR: while the times are at hand it also applies the test of
 * `isRegularTime`, which would otherwise read the column again. Returns a plain number and
 * builds no strings: it is the hot path, and the JIT compiles it best that way.
 */
function scanCandles(series: CandleSeries, after = -Infinity, first = NaN, offset = 0): number {
  const { time, open, high, low, close, volume, timeframeMs: step } = series;
  const n = time.length;
  // A chunk of a longer series is checked against the grid of the series' first time.
  const start = offset > 0 ? first : n > 0 ? time[0] : NaN;
  let previous = after;
  let onGrid = 1;
  for (let i = 0; i < n; i++) {
    const t = time[i];
    const o = open[i];
    const h = high[i];
    const l = low[i];
    const c = close[i];
    const v = volume[i];
    // Written so that NaN fails every test: `!(a > b)` rather than `a <= b`. No separate
    // `h >= l` test: low <= open <= high below already implies it.
    if (
      !(t > previous) ||
      t === Infinity ||
      !(l > 0) ||
      h === Infinity ||
      !(o >= l && o <= h) ||
      !(c >= l && c <= h) ||
      !(v >= 0) ||
      v === Infinity
    ) {
      return i;
    }
    onGrid &= +(t === start + (offset + i) * step);
    previous = t;
  }
  return onGrid === 1 && start > 0 && step > 0 ? VALID_REGULAR : VALID_IRREGULAR;
}

function candleProblem(series: CandleSeries, i: number, before = -Infinity): string {
  const t = series.time[i];
  const previous = i > 0 ? series.time[i - 1] : before;
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

/** What validating a candle series found out besides its being valid. */
export interface CandleFacts {
  /** `isRegularTime(series.time, series.timeframeMs)`: no gaps, every bar one timeframe on. */
  readonly regularTime: boolean;
}

/**
 * Fails fast on data the simulation cannot trust: arrays of unequal length, non-finite or
 * non-positive prices, `high < low`, an open or close outside [low, high], negative or
 * non-finite volume, and times that are not strictly ascending (unsorted or duplicate).
 * Gaps (missing bars) are legal: they stay gaps.
 */
export function validateCandles(series: CandleSeries, label = 'candles'): CandleFacts {
  checkCandleShape(series, label);
  const i = scanCandles(series);
  if (i >= 0) throw bad(label, i, series.time[i], candleProblem(series, i));
  return { regularTime: i === VALID_REGULAR };
}

function checkCandleShape(series: CandleSeries, label: string): void {
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
}

/**
 * `validateCandles` for a series that arrives in chunks: the same checks, across the chunk
 * edges too, and the same error (the index counts from the series' first bar). Every chunk
 * must carry the series' timeframe.
 */
export class CandleChunkValidator {
  private count = 0;
  private last = -Infinity;
  private first = NaN;
  private onGrid = true;

  constructor(
    private readonly label: string,
    private readonly timeframeMs: number,
  ) {}

  check(chunk: CandleSeries): void {
    checkCandleShape(chunk, this.label);
    if (chunk.timeframeMs !== this.timeframeMs) {
      throw new EngineError(
        'INVALID_MARKET_DATA',
        `${this.label}: a chunk has a ${chunk.timeframeMs} ms timeframe in a ${this.timeframeMs} ms series`,
        { series: this.label },
      );
    }
    const n = chunk.time.length;
    if (n === 0) return;
    if (this.count === 0) this.first = chunk.time[0];
    const i = scanCandles(chunk, this.last, this.first, this.count);
    if (i >= 0) throw bad(this.label, this.count + i, chunk.time[i], candleProblem(chunk, i, this.last));
    this.onGrid &&= i === VALID_REGULAR;
    this.last = chunk.time[n - 1];
    this.count += n;
  }

  /** `isRegularTime` of the whole series seen so far. */
  get regularTime(): boolean {
    return this.count > 0 && this.onGrid;
  }
}

function firstBadPrint(trades: TradeSeries, after = -Infinity): number {
  const { time, price, amount, side } = trades;
  const n = time.length;
  let previous = after;
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

function printProblem(trades: TradeSeries, i: number, before = -Infinity): string {
  const t = trades.time[i];
  const p = trades.price[i];
  const a = trades.amount[i];
  if (!Number.isFinite(t)) return 'time is not a finite number';
  if (t < (i > 0 ? trades.time[i - 1] : before)) return 'time is before the previous print (unsorted)';
  if (!(p > 0) || p === Infinity) return `price must be finite and positive, got ${p}`;
  if (!(a >= 0) || a === Infinity) return `amount must be finite and non-negative, got ${a}`;
  return `side must be 1, -1 or 0, got ${trades.side[i]}`;
}

/**
 * Trade prints: equal lengths, finite times in non-decreasing order (several prints may share a
 * millisecond), finite positive prices, finite non-negative amounts, side in {-1, 0, 1}.
 */
export function validateTrades(trades: TradeSeries, label = 'trades'): void {
  new TradeChunkValidator(label).check(trades);
}

/** `validateTrades` chunk by chunk: order is checked across the edges, indices count from the first print. */
export class TradeChunkValidator {
  private count = 0;
  private last = -Infinity;

  constructor(private readonly label: string) {}

  check(trades: TradeSeries): void {
    checkTradeShape(trades, this.label);
    const n = trades.time.length;
    const i = firstBadPrint(trades, this.last);
    if (i >= 0) throw bad(this.label, this.count + i, trades.time[i], printProblem(trades, i, this.last));
    if (n > 0) this.last = trades.time[n - 1];
    this.count += n;
  }
}

function checkTradeShape(trades: TradeSeries, label: string): void {
  const { time, price, amount, side } = trades;
  const n = time.length;
  if (price.length !== n || amount.length !== n || side.length !== n) {
    throw new EngineError('INVALID_MARKET_DATA', `${label}: time, price, amount and side differ in length`, {
      series: label,
    });
  }
}
