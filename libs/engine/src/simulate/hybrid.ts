import type { CandleSeries, CandleStream, DetailCoverage, SignalSet, Trade } from '../types';
import { applyOutcome, lowerBound, runBars, type BarRun, type IntrabarResolver, type ProgressHook } from './core';
import { BarOutcome, stopAndTakeInRange, walkAdverseFirst, walkFavourableFirst, walkNearestFirst } from './intrabar';
import type { Ledger } from './ledger';
import type { SimParams } from './params';

/**
 * One detail series as it arrives, in chunks: the resolver reads bars by their index in the
 * whole series, and only the chunks that hold bars at or after the base bar being resolved are
 * kept. Every bar read later lies at or after that bar's open (base bars are resolved in time
 * order, and each finer bar read lies inside a coarser bar read), so nothing dropped is needed
 * again, and the answers are those of the whole array.
 */
class DetailLevel {
  /** The chunk `select` found and the bar's index in it. */
  chunk!: CandleSeries;
  k = 0;
  private readonly chunks: CandleSeries[] = [];
  /** Index in the whole series of each kept chunk's first bar. */
  private readonly starts: number[] = [];
  /** Bars read from the source so far. */
  private loaded = 0;
  private done = false;
  private floor = -Infinity;

  constructor(
    readonly timeframeMs: number,
    private readonly source: Iterator<CandleSeries>,
  ) {}

  /** Nothing before `t` will be read again: drops the chunks that end before it. */
  release(t: number): void {
    this.floor = t;
    const chunks = this.chunks;
    let drop = 0;
    while (drop < chunks.length && lastTime(chunks[drop]) < t) drop++;
    if (drop > 0) {
      chunks.splice(0, drop);
      this.starts.splice(0, drop);
    }
  }

  /** Index of the first bar at or after `t`, or the series' length when there is none. */
  lowerBound(t: number): number {
    let c = 0;
    for (;;) {
      for (; c < this.chunks.length; c++) {
        const chunk = this.chunks[c];
        if (lastTime(chunk) >= t) return this.starts[c] + lowerBound(chunk.time, t);
      }
      if (!this.load()) return this.loaded;
    }
  }

  /** Whether bar `j` exists; reads chunks up to it. */
  has(j: number): boolean {
    while (j >= this.loaded) if (!this.load()) return false;
    return true;
  }

  /** Points `chunk` / `k` at bar `j` (which `has`). */
  select(j: number): CandleSeries {
    const starts = this.starts;
    let c = starts.length - 1;
    while (starts[c] > j) c--;
    this.k = j - starts[c];
    this.chunk = this.chunks[c];
    return this.chunk;
  }

  /** Reads the rest of the series (so that every chunk is checked and hashed) and keeps none. */
  drain(): void {
    this.release(Infinity);
    while (this.load()) this.release(Infinity);
  }

  private load(): boolean {
    if (this.done) return false;
    for (;;) {
      const next = this.source.next();
      if (next.done === true) {
        this.done = true;
        return false;
      }
      const chunk = next.value;
      const n = chunk.time.length;
      if (n === 0) continue;
      this.loaded += n;
      if (lastTime(chunk) >= this.floor) {
        this.chunks.push(chunk);
        this.starts.push(this.loaded - n);
      }
      return true;
    }
  }
}

function lastTime(chunk: CandleSeries): number {
  return chunk.time[chunk.time.length - 1];
}

/**
 * Plays each in-position base bar on the detail series. A detail bar whose outcome does not
 * depend on the order of its high and low (both orders give the same exit, or none) is played
 * as is; otherwise it is replayed on the next finer series' bars inside it, recursively; at the
 * finest level available the extreme nearer the bar's open is taken to come first. Base bars
 * without any detail bar are played by that same rule on the base candle.
 */
class HybridResolver implements IntrabarResolver {
  readonly ambiguousTimes: number[] = [];
  private readonly adverse: BarOutcome[];
  private readonly favourable: BarOutcome[];

  constructor(
    private readonly base: CandleSeries,
    private readonly detail: readonly DetailLevel[],
  ) {
    this.adverse = detail.map(() => new BarOutcome());
    this.favourable = detail.map(() => new BarOutcome());
    this.adverse.push(new BarOutcome());
  }

  resolve(led: Ledger, i: number): void {
    const base = this.base;
    const start = base.time[i];
    const end = start + base.timeframeMs;
    for (const level of this.detail) level.release(start);
    if (!this.playInside(led, 0, start, end, i) && !this.found) {
      this.adaptive(
        led,
        base.open[i],
        base.high[i],
        base.low[i],
        base.close[i],
        start,
        i,
        this.adverse[this.detail.length],
      );
    }
  }

  /** Whether `playInside` found any bar in its range (when it returned false). */
  private found = false;

  /**
   * Plays the bars of detail `level` in [start, end) until one closes the position (true).
   * Walks a chunk with a local index and asks the level for the next chunk only at its end.
   */
  private playInside(led: Ledger, level: number, start: number, end: number, bar: number): boolean {
    const d = this.detail[level];
    let j = d.lowerBound(start);
    let any = false;
    if (d.has(j)) {
      let s = d.select(j);
      let k = d.k;
      for (;;) {
        if (k === s.time.length) {
          if (!d.has(j)) break;
          s = d.select(j);
          k = d.k;
        }
        if (!(s.time[k] < end)) break;
        any = true;
        if (this.playDetail(led, level, s, k, bar)) return true;
        k++;
        j++;
      }
    }
    this.found = any;
    return false;
  }

  private playDetail(led: Ledger, level: number, s: CandleSeries, k: number, bar: number): boolean {
    const o = s.open[k];
    const h = s.high[k];
    const l = s.low[k];
    const c = s.close[k];
    const t = s.time[k];
    const adverse = this.adverse[level];
    const favourable = this.favourable[level];
    walkAdverseFirst(led, o, h, l, c, adverse);
    walkFavourableFirst(led, o, h, l, c, favourable);
    if (adverse.sameExit(favourable)) return applyOutcome(led, adverse, t, bar, false);
    if (level + 1 < this.detail.length) {
      if (this.playInside(led, level + 1, t, t + s.timeframeMs, bar)) return true;
      if (this.found) return false;
    }
    return this.adaptive(led, o, h, l, c, t, bar, adverse);
  }

  private adaptive(
    led: Ledger,
    o: number,
    h: number,
    l: number,
    c: number,
    t: number,
    bar: number,
    scratch: BarOutcome,
  ) {
    walkAdverseFirst(led, o, h, l, c, scratch);
    const ambiguous = stopAndTakeInRange(led, h, l, scratch);
    if (ambiguous) this.ambiguousTimes.push(t);
    walkNearestFirst(led, o, h, l, c, scratch);
    return applyOutcome(led, scratch, t, bar, ambiguous);
  }
}

export interface HybridRun extends BarRun {
  detailCoverage: DetailCoverage;
  /** Times of the (detail or base) bars resolved by the adaptive rule with stop and take-profit in range. */
  ambiguousTimes: number[];
}

/**
 * Which base bars hold at least one bar of a series: bar i does when the first bar at or after
 * its open lies before its end. Fed the series' times chunk by chunk, in order; one byte per
 * base bar.
 */
export class CoverageMarks {
  readonly marks: Uint8Array;
  /** The first base bar whose first bar at or after its open has not been seen yet. */
  private b = 0;

  constructor(private readonly base: CandleSeries) {
    this.marks = new Uint8Array(base.time.length);
  }

  add(times: Float64Array): void {
    const len = times.length;
    if (len === 0) return;
    const bt = this.base.time;
    const tf = this.base.timeframeMs;
    const n = bt.length;
    const last = times[len - 1];
    let b = this.b;
    let from = 0;
    // The bars not after this chunk's last time meet their first later time in this chunk: the
    // earlier chunks all ended before them.
    while (b < n && bt[b] <= last) {
      from = lowerBound(times, bt[b], from);
      this.marks[b] = +(times[from] < bt[b] + tf);
      b++;
    }
    this.b = b;
  }
}

/**
 * Share of in-position base bars with at least one bar of the coarsest detail series inside.
 * A trade holds bars entryBar … exitBar − 1, and its exit bar too unless it left at that bar's
 * open (signal and maxBars exits), the same bars `runBars` counts as in position.
 */
export function detailCoverage(marks: Uint8Array, trades: readonly Trade[]): DetailCoverage {
  let barsInPosition = 0;
  let barsWithDetail = 0;
  for (const trade of trades) {
    const atOpen = trade.exitReason === 'signal' || trade.exitReason === 'maxBars';
    const last = atOpen ? trade.exitBar - 1 : trade.exitBar;
    for (let i = trade.entryBar; i <= last; i++) {
      barsInPosition++;
      barsWithDetail += marks[i];
    }
  }
  return { ratio: barsInPosition === 0 ? 1 : barsWithDetail / barsInPosition, barsInPosition, barsWithDetail };
}

/**
 * Signals and fills at the base bars' opens; everything inside a base bar on the detail series
 * (coarsest first), read chunk by chunk as the base bars reach them: only the chunks around the
 * bar being resolved are held. Every chunk is read, to the end, whether a bar needs it or not.
 */
export function simulateHybridStream(
  candles: CandleSeries,
  detail: readonly CandleStream[],
  signals: SignalSet,
  params: SimParams,
  progress?: ProgressHook,
): HybridRun {
  const coverage = new CoverageMarks(candles);
  const levels = detail.map((d, k) => {
    const chunks = k === 0 ? marked(d.chunks, coverage) : d.chunks;
    return new DetailLevel(d.timeframeMs, chunks[Symbol.iterator]());
  });
  const resolver = new HybridResolver(candles, levels);
  const run = runBars(candles, signals, params, resolver, progress);
  for (const level of levels) level.drain();
  return {
    ...run,
    detailCoverage: detailCoverage(coverage.marks, run.trades),
    ambiguousTimes: resolver.ambiguousTimes,
  };
}

function* marked(chunks: Iterable<CandleSeries>, coverage: CoverageMarks): Generator<CandleSeries> {
  for (const chunk of chunks) {
    coverage.add(chunk.time);
    yield chunk;
  }
}

/** `simulateHybridStream` on detail series held whole: one chunk each. */
export function simulateHybrid(
  candles: CandleSeries,
  detail: readonly CandleSeries[],
  signals: SignalSet,
  params: SimParams,
  progress?: ProgressHook,
): HybridRun {
  const streams = detail.map((d) => ({ timeframeMs: d.timeframeMs, chunks: [d] }));
  return simulateHybridStream(candles, streams, signals, params, progress);
}
