import type { CandleSeries, DetailCoverage, SignalSet, Trade } from '../types';
import { applyOutcome, lowerBound, runBars, type BarRun, type IntrabarResolver, type ProgressHook } from './core';
import { BarOutcome, stopAndTakeInRange, walkAdverseFirst, walkFavourableFirst, walkNearestFirst } from './intrabar';
import type { Ledger } from './ledger';
import type { SimParams } from './params';

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
    private readonly detail: readonly CandleSeries[],
  ) {
    this.adverse = detail.map(() => new BarOutcome());
    this.favourable = detail.map(() => new BarOutcome());
    this.adverse.push(new BarOutcome());
  }

  resolve(led: Ledger, i: number): void {
    const base = this.base;
    const start = base.time[i];
    const end = start + base.timeframeMs;
    const d = this.detail[0];
    let j = lowerBound(d.time, start);
    if (j >= d.time.length || d.time[j] >= end) {
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
      return;
    }
    for (; j < d.time.length && d.time[j] < end; j++) {
      if (this.playDetail(led, 0, j, i)) return;
    }
  }

  private playDetail(led: Ledger, level: number, j: number, bar: number): boolean {
    const s = this.detail[level];
    const o = s.open[j];
    const h = s.high[j];
    const l = s.low[j];
    const c = s.close[j];
    const t = s.time[j];
    const adverse = this.adverse[level];
    const favourable = this.favourable[level];
    walkAdverseFirst(led, o, h, l, c, adverse);
    walkFavourableFirst(led, o, h, l, c, favourable);
    if (adverse.sameExit(favourable)) return applyOutcome(led, adverse, t, bar, false);
    if (level + 1 < this.detail.length) {
      const finer = this.detail[level + 1];
      const end = t + s.timeframeMs;
      let q = lowerBound(finer.time, t);
      if (q < finer.time.length && finer.time[q] < end) {
        for (; q < finer.time.length && finer.time[q] < end; q++) {
          if (this.playDetail(led, level + 1, q, bar)) return true;
        }
        return false;
      }
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
 * Share of in-position base bars with at least one bar of the coarsest detail series inside.
 * A trade holds bars entryBar … exitBar − 1, and its exit bar too unless it left at that bar's
 * open (signal and maxBars exits), the same bars `runBars` counts as in position.
 */
export function detailCoverage(base: CandleSeries, detail: CandleSeries, trades: readonly Trade[]): DetailCoverage {
  const bt = base.time;
  const dt = detail.time;
  const tf = base.timeframeMs;
  let j = 0;
  let barsInPosition = 0;
  let barsWithDetail = 0;
  for (const trade of trades) {
    const atOpen = trade.exitReason === 'signal' || trade.exitReason === 'maxBars';
    const last = atOpen ? trade.exitBar - 1 : trade.exitBar;
    for (let i = trade.entryBar; i <= last; i++) {
      barsInPosition++;
      while (j < dt.length && dt[j] < bt[i]) j++;
      if (j < dt.length && dt[j] < bt[i] + tf) barsWithDetail++;
    }
  }
  return { ratio: barsInPosition === 0 ? 1 : barsWithDetail / barsInPosition, barsInPosition, barsWithDetail };
}

/** Signals and fills at the base bars' opens; everything inside a base bar on the detail series (coarsest first). */
export function simulateHybrid(
  candles: CandleSeries,
  detail: readonly CandleSeries[],
  signals: SignalSet,
  params: SimParams,
  progress?: ProgressHook,
): HybridRun {
  const resolver = new HybridResolver(candles, detail);
  const run = runBars(candles, signals, params, resolver, progress);
  return {
    ...run,
    detailCoverage: detailCoverage(candles, detail[0], run.trades),
    ambiguousTimes: resolver.ambiguousTimes,
  };
}
