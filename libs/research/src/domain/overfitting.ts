import { deflatedSharpe, returnMoments, type DeflatedSharpeResult } from './deflated-sharpe';
import { ResearchError } from './errors';
import { probabilityOfBacktestOverfitting, type PboResult } from './pbo';

/** Per-bar simple returns of an equity curve (length − 1 values). */
export function returnsFromEquity(equity: ArrayLike<number>): Float64Array {
  const out = new Float64Array(Math.max(0, equity.length - 1));
  for (let i = 1; i < equity.length; i++) out[i - 1] = equity[i - 1] > 0 ? equity[i] / equity[i - 1] - 1 : 0;
  return out;
}

export interface OverfittingReport {
  deflatedSharpe: DeflatedSharpeResult;
  /** Null when there are too few trials or periods for CSCV; `pboSkipped` says why. */
  pbo: Omit<PboResult, 'logits'> | null;
  pboSkipped?: string;
}

/**
 * Both statistics for one optimisation from its trials' equity curves, all on the same bars
 * (trials of one search share the series). The best trial is the one the search ranked first;
 * N is every trial that produced a curve, failed ones having none.
 */
export function overfittingReport(
  equities: readonly ArrayLike<number>[],
  bestIndex: number,
  partitions = 16,
): OverfittingReport {
  if (!(bestIndex >= 0 && bestIndex < equities.length)) {
    throw new ResearchError('INVALID_STATISTICS_INPUT', 'is not a trial index', 'bestIndex');
  }
  const T = equities[0].length - 1;
  equities.forEach((e, i) => {
    if (e.length - 1 !== T)
      throw new ResearchError('INVALID_STATISTICS_INPUT', 'curves must share their bars', `equities[${i}]`);
  });
  const returns = equities.map(returnsFromEquity);
  const moments = returns.map((r) => returnMoments(r));
  const sharpes = moments.map((m) => m.sharpe);
  const meanSharpe = sharpes.reduce((a, b) => a + b, 0) / sharpes.length;
  const variance =
    sharpes.length > 1 ? sharpes.reduce((a, b) => a + (b - meanSharpe) ** 2, 0) / (sharpes.length - 1) : 0;
  const best = moments[bestIndex];
  const dsr = deflatedSharpe({
    trials: equities.length,
    sharpeVariance: variance,
    sharpe: best.sharpe,
    observations: best.observations,
    skewness: best.skewness,
    kurtosis: best.kurtosis,
  });
  const N = equities.length;
  if (N < 2) return { deflatedSharpe: dsr, pbo: null, pboSkipped: 'needs at least 2 trials' };
  if (T < 2 * partitions)
    return { deflatedSharpe: dsr, pbo: null, pboSkipped: `needs at least ${2 * partitions} periods` };
  const flat = new Float64Array(T * N);
  for (let n = 0; n < N; n++) {
    const r = returns[n];
    for (let t = 0; t < T; t++) flat[t * N + n] = r[t];
  }
  const { logits: _logits, ...pbo } = probabilityOfBacktestOverfitting({ returns: flat, trials: N, partitions });
  return { deflatedSharpe: dsr, pbo };
}
