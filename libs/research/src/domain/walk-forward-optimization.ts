import { sliceCandles, type BacktestMetrics, type CandleSeries } from '@app/engine';
import { rankTrials } from './objective';
import { createSearch, type SearchConfig } from './search';
import type { ParamConstraint, ParamSpace, ParamValues } from './space';
import { runTrialBatch, type TrialBatchInput, type TrialResult } from './trial-batch';
import {
  indexRange,
  parameterStability,
  stitchEquity,
  walkForwardEfficiency,
  type ParamStability,
  type StitchedEquity,
  type WalkForwardWindow,
} from './walk-forward';

export interface WalkForwardOptimizationInput extends Omit<
  TrialBatchInput,
  'params' | 'candles' | 'keepEquity' | 'detail'
> {
  candles: CandleSeries;
  space: ParamSpace;
  constraints: readonly ParamConstraint[];
  search: SearchConfig;
  windows: readonly WalkForwardWindow[];
  /** Trials asked and run together, as a worker's batch would be. */
  batchSize?: number;
}

export interface WindowResult {
  window: WalkForwardWindow;
  /** Null when no in-sample trial was feasible: the window has no out-of-sample run. */
  params: ParamValues | null;
  trials: number;
  inSample: BacktestMetrics | null;
  outOfSample: BacktestMetrics | null;
  efficiency: number | null;
}

export interface WalkForwardOptimizationResult {
  windows: WindowResult[];
  /** The out-of-sample runs chained: the honest estimate of the whole procedure. */
  stitched: StitchedEquity;
  /** Stitched out-of-sample CAGR over the mean in-sample CAGR. */
  efficiency: number | null;
  stability: ParamStability[];
}

/**
 * Walk-forward in one process: per window, a search over the in-sample bars only, then the
 * in-sample winner on the out-of-sample bars. Each run sees a slice of the series ending at its
 * range's end, so no window's choice can depend on a later bar. The out-of-sample run starts
 * flat with its indicators warming up inside the window (earlier bars are not look-ahead, but the
 * engine has no "trade from bar k" switch yet, and a position opened before the window would
 * count trades outside it).
 */
export function runWalkForwardOptimization(input: WalkForwardOptimizationInput): WalkForwardOptimizationResult {
  const batchSize = input.batchSize ?? 32;
  const results: WindowResult[] = [];
  const segments: { time: Float64Array; equity: Float64Array }[] = [];
  for (const window of input.windows) {
    const is = indexRange(input.candles.time, window.inSample);
    const oos = indexRange(input.candles.time, window.outOfSample);
    const isCandles = sliceCandles(input.candles, is.start, is.end);
    const search = createSearch(input.space, input.constraints, input.search);
    const trials: TrialResult[] = [];
    for (;;) {
      const batch = search.ask(batchSize);
      if (batch.length === 0) break;
      const outcomes = runTrialBatch({ ...input, candles: isCandles, params: batch });
      search.tell(outcomes);
      trials.push(...outcomes);
    }
    const best = rankTrials(trials)[0];
    if (!best || best.status !== 'done' || best.score === null || oos.end - oos.start < 2) {
      results.push({
        window,
        params: null,
        trials: trials.length,
        inSample: null,
        outOfSample: null,
        efficiency: null,
      });
      continue;
    }
    const [outOfSample] = runTrialBatch({
      ...input,
      candles: sliceCandles(input.candles, oos.start, oos.end),
      params: [best.params],
      keepEquity: true,
    });
    const oosMetrics = outOfSample.status === 'done' ? outOfSample.metrics : null;
    if (outOfSample.status === 'done' && outOfSample.equity) {
      segments.push({ time: input.candles.time.slice(oos.start, oos.end), equity: outOfSample.equity });
    }
    results.push({
      window,
      params: best.params,
      trials: trials.length,
      inSample: best.metrics,
      outOfSample: oosMetrics,
      efficiency: walkForwardEfficiency(best.metrics.cagrPct, oosMetrics?.cagrPct ?? null),
    });
  }
  const stitched = stitchEquity(segments, input.settings.initialCapital);
  const isCagr = results.map((r) => r.inSample?.cagrPct).filter((c): c is number => typeof c === 'number');
  const meanIs = isCagr.length ? isCagr.reduce((a, b) => a + b, 0) / isCagr.length : null;
  return {
    windows: results,
    stitched,
    efficiency: walkForwardEfficiency(meanIs, stitched.cagrPct),
    stability: parameterStability(
      results.map((r) => r.params).filter((p): p is ParamValues => p !== null),
      input.space,
    ),
  };
}
