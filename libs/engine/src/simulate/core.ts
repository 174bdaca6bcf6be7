import type { CandleSeries, SignalSet, Trade } from '../types';
import { BarOutcome } from './intrabar';
import { REASON_END, REASON_MAX_BARS, REASON_SIGNAL, Ledger } from './ledger';
import type { SimParams } from './params';

/** Reports simulation progress as a fraction in [0, 1]; throws to cancel. */
export type ProgressHook = (fraction: number) => void;

export const OPEN_LONG = 1 << 3;
export const OPEN_SHORT = 2 << 3;

/**
 * The order decided at a bar's close, encoded as `closeReason | openSide << 3` (0 = nothing):
 * - flat: a long entry when entry.long holds and neither exit.long nor (with shorts) entry.short
 *   does; a short entry likewise (conflicting signals enter nothing);
 * - in a position: with `reverseOnSignal`, a valid opposite entry closes and reverses at the
 *   same fill; else the side's exit signal closes; else `maxBarsInTrade` held bars close.
 * Without `allowShort`, short signals are ignored entirely.
 */
export function decide(p: SimParams, side: number, held: number, eL: number, xL: number, eS: number, xS: number) {
  return decideWith(p.allowShort, p.reverseOnSignal, p.maxBarsInTrade, side, held, eL, xL, eS, xS);
}

function decideWith(
  shorts: boolean,
  reverse: boolean,
  maxBars: number,
  side: number,
  held: number,
  eL: number,
  xL: number,
  eS: number,
  xS: number,
): number {
  const goLong = eL !== 0 && xL === 0 && !(shorts && eS !== 0);
  const goShort = shorts && eS !== 0 && xS === 0 && eL === 0;
  if (side === 0) return goLong ? OPEN_LONG : goShort ? OPEN_SHORT : 0;
  if (side > 0) {
    if (goShort && reverse) return REASON_SIGNAL | OPEN_SHORT;
    if (xL !== 0) return REASON_SIGNAL;
  } else {
    if (goLong && reverse) return REASON_SIGNAL | OPEN_LONG;
    if (xS !== 0) return REASON_SIGNAL;
  }
  return maxBars > 0 && held >= maxBars ? REASON_MAX_BARS : 0;
}

/** Resolves what happens inside bar `bar` to a position with risk levels (it may close it). */
export interface IntrabarResolver {
  resolve(led: Ledger, bar: number): void;
}

export interface BarRun {
  trades: Trade[];
  /** Equity at each bar's close; the last point is after the end-of-data close. */
  equity: Float64Array;
  /** Bars with a position open after the bar's opening fills (the bars intrabar rules ran on). */
  barsInPosition: number;
  finalEquity: number;
}

/**
 * Applies an intrabar outcome: an exit at its price (slippage against the trader), stamped with
 * the time of the bar it happened in; otherwise the new favourable extreme.
 */
export function applyOutcome(led: Ledger, out: BarOutcome, time: number, bar: number, ambiguous: boolean): boolean {
  if (out.reason === 0) {
    led.extremeLS = out.extremeLS;
    return false;
  }
  if (ambiguous) led.ambiguous = true;
  led.exit(out.price, time, bar, out.reason, true);
  return true;
}

/** Bars with a signal set at their close, and the open and time of the bar after each. */
interface SignalBars {
  count: number;
  /** Ascending; the first `count` entries are used. */
  bar: Int32Array;
  nextOpen: Float64Array;
  nextTime: Float64Array;
}

/** Shifts that bring the bytes of a 32-bit word, in memory order, to its low byte. */
const LANES = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? [0, 8, 16, 24] : [24, 16, 8, 0];
const [LANE0, LANE1, LANE2, LANE3] = LANES;

/** Appends the bars `k` to `k + 3` whose byte of `x` (four bars' signals, OR-ed) is set. */
function addLanes(bar: Int32Array, count: number, x: number, k: number): number {
  bar[count] = k;
  count += +(((x >>> LANE0) & 0xff) !== 0);
  bar[count] = k + 1;
  count += +(((x >>> LANE1) & 0xff) !== 0);
  bar[count] = k + 2;
  count += +(((x >>> LANE2) & 0xff) !== 0);
  bar[count] = k + 3;
  count += +(((x >>> LANE3) & 0xff) !== 0);
  return count;
}

/**
 * Every bar at whose close one of the signals that can matter is set (the short ones only with
 * shorts), and the open and time of the bar after each: where an order decided at that close
 * fills. Found before the bar loop so that the loop can skip from one to the next, and the fill
 * prices gathered here because these bars are scattered over arrays far larger than the caches:
 * in this loop of independent reads their cache misses overlap, where the bar loop, needing
 * each fill price before it can go on, waited for them one at a time.
 */
function signalBars(candles: CandleSeries, signals: SignalSet, shorts: boolean): SignalBars {
  const { entryLong: a, exitLong: b, entryShort: c, exitShort: d } = signals;
  const n = candles.time.length;
  let bar: Int32Array = new Int32Array(Math.max(16, n >> 5));
  let count = 0;
  let k = 0;
  // Four bars at a time through 32-bit views where the arrays allow it: signals are sparse.
  const viewable = a.length === n && b.length === n && c.length === n && d.length === n;
  if (viewable && ((a.byteOffset | b.byteOffset | c.byteOffset | d.byteOffset) & 3) === 0) {
    const words = n >> 2;
    const a4 = new Int32Array(a.buffer, a.byteOffset, words);
    const b4 = new Int32Array(b.buffer, b.byteOffset, words);
    if (shorts) {
      const c4 = new Int32Array(c.buffer, c.byteOffset, words);
      const d4 = new Int32Array(d.buffer, d.byteOffset, words);
      for (let w = 0; w < words; w++) {
        const x = a4[w] | b4[w] | c4[w] | d4[w];
        if (x === 0) continue;
        if (count + 4 > bar.length) bar = grow(bar);
        count = addLanes(bar, count, x, w << 2);
      }
    } else {
      for (let w = 0; w < words; w++) {
        const x = a4[w] | b4[w];
        if (x === 0) continue;
        if (count + 4 > bar.length) bar = grow(bar);
        count = addLanes(bar, count, x, w << 2);
      }
    }
    k = words << 2;
  }
  for (; k < n; k++) {
    if ((a[k] | b[k] | (shorts ? c[k] | d[k] : 0)) === 0) continue;
    if (count === bar.length) bar = grow(bar);
    bar[count++] = k;
  }
  const { open, time } = candles;
  const nextOpen = new Float64Array(count);
  const nextTime = new Float64Array(count);
  // The last bar has no next bar; its entries stay 0 and are never read.
  const gathered = count > 0 && bar[count - 1] + 1 >= n ? count - 1 : count;
  for (let e = 0; e < gathered; e++) {
    const next = bar[e] + 1;
    nextOpen[e] = open[next];
    nextTime[e] = time[next];
  }
  return { count, bar, nextOpen, nextTime };
}

function grow(a: Int32Array): Int32Array {
  const bigger = new Int32Array(a.length * 2);
  bigger.set(a);
  return bigger;
}

/**
 * The bar loop shared by kline and hybrid: at each bar's open the order decided at the previous
 * close fills (close first, then open); then, if a position with risk levels is open, the
 * resolver plays the bar; the equity is marked at the close; then the signals of this close
 * decide the next order. Events are stamped with the open time of the bar they happen in. A
 * position open after the last bar is closed at the last close (no slippage, fee charged, exit
 * reason `end`, stamped with the last bar's close time).
 */
export function runBars(
  candles: CandleSeries,
  signals: SignalSet,
  p: SimParams,
  resolver: IntrabarResolver,
  progress?: ProgressHook,
): BarRun {
  const { time, open, close } = candles;
  const { entryLong, exitLong, entryShort, exitShort } = signals;
  const n = time.length;
  const led = new Ledger(p);
  const equity = new Float64Array(n);
  const hasLevels = led.hasLevels;
  const shorts = p.allowShort;
  const reverse = p.reverseOnSignal;
  const maxBars = p.maxBarsInTrade;
  // Which signals can produce an order in each state (see `decideWith`): flat, an entry (the
  // short one only with shorts); long, the long exit and, with reversals, the short entry;
  // short alike. `watchA` / `watchB` are the two for the current state (the same array twice
  // when only one matters).
  const flatA = entryLong;
  const flatB = shorts ? entryShort : entryLong;
  const longA = exitLong;
  const longB = shorts && reverse ? entryShort : exitLong;
  const shortA = exitShort;
  const shortB = reverse ? entryLong : exitShort;
  const signalled = signalBars(candles, signals, shorts);
  // The first signal bar not before the bar being played.
  let nextSignal = 0;
  const chunk = Math.max(1, Math.ceil(n / 16));
  // The bar after whose close progress is reported next (n: never).
  let reportAt = progress === undefined ? n : chunk - 1;
  let order = 0;
  let barsInPosition = 0;
  // Position state mirrored in locals between fills; the ledger is only touched on fills.
  let side = 0;
  let units = 0;
  let cash = led.cash;
  let entryBar = 0;
  let watchA = flatA;
  let watchB = flatB;
  // First bar whose close reaches maxBarsInTrade held bars (never while flat or without the rule).
  let maxBarsAt = Infinity;
  let i = 0;
  while (i < n) {
    if (order === 0 && (side === 0 || !hasLevels)) {
      // Quiet bars: nothing fills at the open, there is no level to watch, and at the close no
      // signal is set, maxBarsInTrade is not reached and no report is due. Only the equity mark
      // moves (flat, it is the cash). Most bars are quiet, so they get these tight loops; they
      // stop at the next signal bar (any signal: the full step decides whether it matters), at
      // maxBarsInTrade or at a report, which the full step below plays.
      while (nextSignal < signalled.count && signalled.bar[nextSignal] < i) nextSignal++;
      const stop = Math.min(nextSignal < signalled.count ? signalled.bar[nextSignal] : n, maxBarsAt, reportAt);
      if (side === 0) {
        if (stop > i) {
          equity.fill(cash, i, stop);
          i = stop;
        }
      } else {
        const from = i;
        for (; i < stop; i++) equity[i] = cash + side * units * close[i];
        barsInPosition += i - from;
      }
      if (i === n) break;
    }
    // The full step of bar i: fills at the open, levels, equity mark, decision at the close.
    if (order !== 0) {
      const closeReason = order & 7;
      const openSide = order >> 3;
      // The order was decided at the close of bar i - 1: a signal bar, unless maxBarsInTrade
      // decided it on a bar without one.
      while (nextSignal < signalled.count && signalled.bar[nextSignal] < i - 1) nextSignal++;
      const gathered = nextSignal < signalled.count && signalled.bar[nextSignal] === i - 1;
      const fillOpen = gathered ? signalled.nextOpen[nextSignal] : open[i];
      const fillTime = gathered ? signalled.nextTime[nextSignal] : time[i];
      if (closeReason !== 0 && side !== 0) led.exit(fillOpen, fillTime, i, closeReason, true);
      if (openSide !== 0) led.enter(openSide === 1 ? 1 : -1, fillOpen, fillTime, i);
      order = 0;
      side = led.side;
      units = led.units;
      cash = led.cash;
      entryBar = led.entryBar;
      watchA = side === 0 ? flatA : side > 0 ? longA : shortA;
      watchB = side === 0 ? flatB : side > 0 ? longB : shortB;
      maxBarsAt = maxBars > 0 && side !== 0 ? entryBar + maxBars - 1 : Infinity;
    }
    if (side !== 0) {
      barsInPosition++;
      if (hasLevels) {
        resolver.resolve(led, i);
        // A stop or take-profit can only close the position.
        if (led.side === 0) {
          side = 0;
          units = led.units;
          cash = led.cash;
          watchA = flatA;
          watchB = flatB;
          maxBarsAt = Infinity;
        }
      }
    }
    equity[i] = cash + side * units * close[i];
    if ((watchA[i] | watchB[i]) !== 0 || i >= maxBarsAt) {
      order = decideWith(
        shorts,
        reverse,
        maxBars,
        side,
        i - entryBar + 1,
        entryLong[i],
        exitLong[i],
        entryShort[i],
        exitShort[i],
      );
    }
    if (i === reportAt) {
      progress!((i + 1) / n);
      reportAt += chunk;
    }
    i++;
  }
  return closeAtEnd(candles, p, led, equity, barsInPosition);
}

/**
 * Closes a position still open after the last bar at the last close (no slippage, fee charged,
 * reason `end`, stamped with the last bar's close time); the last equity point becomes the cash.
 * A function of its own: `runBars` is first compiled while its loop is running (on-stack
 * replacement), before this tail has ever run, and that code deoptimised on reaching the tail
 * in every later run too.
 */
function closeAtEnd(
  candles: CandleSeries,
  p: SimParams,
  led: Ledger,
  equity: Float64Array,
  barsInPosition: number,
): BarRun {
  const n = equity.length;
  if (led.side !== 0 && n > 0) {
    led.exit(candles.close[n - 1], candles.time[n - 1] + candles.timeframeMs, n - 1, REASON_END, false);
    equity[n - 1] = led.cash;
  }
  return { trades: led.trades, equity, barsInPosition, finalEquity: n > 0 ? led.cash : p.initialCapital };
}

/** First index whose time is >= t (times ascending). */
export function lowerBound(times: Float64Array, t: number, from = 0): number {
  let lo = from;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
