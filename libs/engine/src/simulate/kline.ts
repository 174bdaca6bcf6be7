import type { CandleSeries, SignalSet } from '../types';
import { applyOutcome, runBars, type BarRun, type IntrabarResolver, type ProgressHook } from './core';
import { BarOutcome, stopAndTakeInRange, walkAdverseFirst, walkFavourableFirst, walkNearestFirst } from './intrabar';
import type { Ledger } from './ledger';
import type { SimParams } from './params';

/**
 * How a bar whose order of high and low matters is played:
 * - `worst`: the adverse extreme first (what kline reports);
 * - `best`: as `worst`, except that a bar with stop and take-profit both in range takes profit
 *   (the envelope's other side);
 * - `adaptive`: the extreme nearer the open first (hybrid's rule where no finer data exists).
 */
export type AmbiguityMode = 'worst' | 'best' | 'adaptive';

export class KlineResolver implements IntrabarResolver {
  /** Open times of the bars where stop and take-profit were both in range. */
  readonly ambiguousTimes: number[] = [];
  private readonly adverse = new BarOutcome();
  private readonly other = new BarOutcome();

  constructor(
    private readonly candles: CandleSeries,
    private readonly mode: AmbiguityMode,
  ) {}

  resolve(led: Ledger, i: number): void {
    const { open, high, low, close, time } = this.candles;
    this.playBar(led, open[i], high[i], low[i], close[i], time[i], i);
  }

  /** Plays one bar (of any series) for the position; returns true when it closed. */
  playBar(led: Ledger, o: number, h: number, l: number, c: number, t: number, bar: number): boolean {
    const adverse = this.adverse;
    walkAdverseFirst(led, o, h, l, c, adverse);
    const ambiguous = stopAndTakeInRange(led, h, l, adverse);
    if (ambiguous) this.ambiguousTimes.push(t);
    let out = adverse;
    if (this.mode === 'adaptive') {
      walkNearestFirst(led, o, h, l, c, this.other);
      out = this.other;
    } else if (ambiguous && this.mode === 'best') {
      walkFavourableFirst(led, o, h, l, c, this.other);
      out = this.other;
    }
    return applyOutcome(led, out, t, bar, ambiguous);
  }
}

export interface KlineRun extends BarRun {
  ambiguousTimes: number[];
}

/** Candles only: every intrabar question is answered by `mode` (see AmbiguityMode). */
export function simulateKline(
  candles: CandleSeries,
  signals: SignalSet,
  params: SimParams,
  mode: AmbiguityMode = 'worst',
  progress?: ProgressHook,
): KlineRun {
  const resolver = new KlineResolver(candles, mode);
  const run = runBars(candles, signals, params, resolver, progress);
  return { ...run, ambiguousTimes: resolver.ambiguousTimes };
}
