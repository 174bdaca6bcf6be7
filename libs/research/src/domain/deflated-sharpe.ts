import { ResearchError } from './errors';
import { normalCdf, normalInv } from './normal';

/** Euler–Mascheroni constant γ, in the expected maximum of N standard normals. */
export const EULER_MASCHERONI = 0.5772156649015329;

export interface ReturnMoments {
  observations: number;
  mean: number;
  /** Sample standard deviation (n − 1). */
  std: number;
  /** Per-period Sharpe ratio, mean / std, not annualised. */
  sharpe: number;
  /** Population skewness m3 / m2^1.5 (0 for a normal). */
  skewness: number;
  /** Population (non-excess) kurtosis m4 / m2² (3 for a normal), as the PSR formula takes it. */
  kurtosis: number;
}

export function returnMoments(returns: ArrayLike<number>): ReturnMoments {
  const n = returns.length;
  if (n < 2) throw new ResearchError('INVALID_STATISTICS_INPUT', 'needs at least 2 returns', 'returns');
  let sum = 0;
  for (let i = 0; i < n; i++) sum += returns[i];
  const mean = sum / n;
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  for (let i = 0; i < n; i++) {
    const d = returns[i] - mean;
    const d2 = d * d;
    m2 += d2;
    m3 += d2 * d;
    m4 += d2 * d2;
  }
  const std = Math.sqrt(m2 / (n - 1));
  m2 /= n;
  m3 /= n;
  m4 /= n;
  return {
    observations: n,
    mean,
    std,
    sharpe: std > 0 ? mean / std : 0,
    skewness: m2 > 0 ? m3 / m2 ** 1.5 : 0,
    kurtosis: m2 > 0 ? m4 / (m2 * m2) : 3,
  };
}

/**
 * E[max SR] over N independent trials whose Sharpe ratios have variance V and true value 0
 * (False Strategy Theorem): √V · ((1 − γ) Φ⁻¹(1 − 1/N) + γ Φ⁻¹(1 − 1/(N e))).
 */
export function expectedMaxSharpe(trials: number, sharpeVariance: number): number {
  if (!Number.isInteger(trials) || trials < 1) {
    throw new ResearchError('INVALID_STATISTICS_INPUT', 'must be an integer ≥ 1', 'trials');
  }
  if (!(sharpeVariance >= 0) || !Number.isFinite(sharpeVariance)) {
    throw new ResearchError('INVALID_STATISTICS_INPUT', 'must be a finite number ≥ 0', 'sharpeVariance');
  }
  // One trial is no search: nothing to deflate by.
  if (trials === 1) return 0;
  return (
    Math.sqrt(sharpeVariance) *
    ((1 - EULER_MASCHERONI) * normalInv(1 - 1 / trials) + EULER_MASCHERONI * normalInv(1 - 1 / (trials * Math.E)))
  );
}

export interface ProbabilisticSharpeInput {
  /** Observed per-period Sharpe ratio. */
  sharpe: number;
  /** Per-period Sharpe ratio to beat. */
  benchmark: number;
  /** Number of returns the Sharpe ratio was measured on. */
  observations: number;
  skewness: number;
  /** Non-excess kurtosis (3 for a normal). */
  kurtosis: number;
}

/** z-score of PSR: (SR − SR*) √(T − 1) / √(1 − γ3 SR + (γ4 − 1)/4 SR²). */
export function probabilisticSharpeZ(input: ProbabilisticSharpeInput): number {
  const { sharpe, benchmark, observations, skewness, kurtosis } = input;
  if (!Number.isInteger(observations) || observations < 2) {
    throw new ResearchError('INVALID_STATISTICS_INPUT', 'must be an integer ≥ 2', 'observations');
  }
  for (const [key, value] of Object.entries({ sharpe, benchmark, skewness, kurtosis })) {
    if (!Number.isFinite(value)) throw new ResearchError('INVALID_STATISTICS_INPUT', 'must be finite', key);
  }
  const variance = 1 - skewness * sharpe + ((kurtosis - 1) / 4) * sharpe * sharpe;
  // Possible only with moments no sample can have together (e.g. kurtosis < 1 + skewness²).
  if (!(variance > 0)) {
    throw new ResearchError(
      'INVALID_STATISTICS_INPUT',
      'skewness and kurtosis give a non-positive variance',
      'kurtosis',
    );
  }
  return ((sharpe - benchmark) * Math.sqrt(observations - 1)) / Math.sqrt(variance);
}

export function probabilisticSharpe(input: ProbabilisticSharpeInput): number {
  return normalCdf(probabilisticSharpeZ(input));
}

export interface DeflatedSharpeInput {
  /** Number of independent trials N the best one was chosen from. */
  trials: number;
  /** Variance of the trials' per-period Sharpe ratios. */
  sharpeVariance: number;
  /** The best trial's per-period Sharpe ratio. */
  sharpe: number;
  /** The best trial's number of returns T. */
  observations: number;
  skewness: number;
  /** Non-excess kurtosis (3 for a normal). */
  kurtosis: number;
}

export interface DeflatedSharpeResult {
  /** Probability that the best trial's true Sharpe ratio exceeds what the search alone would give. */
  deflatedSharpe: number;
  /** SR0: the best Sharpe ratio expected from N skill-less trials, per period. */
  expectedMaxSharpe: number;
  zScore: number;
  inputs: DeflatedSharpeInput;
}

/** Deflated Sharpe Ratio (Bailey & López de Prado, 2014): PSR with SR* = E[max SR] under the null. */
export function deflatedSharpe(inputs: DeflatedSharpeInput): DeflatedSharpeResult {
  const sr0 = expectedMaxSharpe(inputs.trials, inputs.sharpeVariance);
  const zScore = probabilisticSharpeZ({ ...inputs, benchmark: sr0 });
  return { deflatedSharpe: normalCdf(zScore), expectedMaxSharpe: sr0, zScore, inputs: { ...inputs } };
}

/**
 * DSR of the best of a set of trials from their per-period returns: N and the variance of the
 * trials' Sharpe ratios from all of them, SR, T, skewness and kurtosis from the best one.
 * `trialSharpes` may hold more trials than return series were kept for.
 */
export function deflatedSharpeOfBest(best: ArrayLike<number>, trialSharpes: readonly number[]): DeflatedSharpeResult {
  if (trialSharpes.length < 1)
    throw new ResearchError('INVALID_STATISTICS_INPUT', 'needs at least 1 trial', 'trialSharpes');
  const m = returnMoments(best);
  let mean = 0;
  for (const s of trialSharpes) mean += s;
  mean /= trialSharpes.length;
  let variance = 0;
  for (const s of trialSharpes) variance += (s - mean) ** 2;
  variance = trialSharpes.length > 1 ? variance / (trialSharpes.length - 1) : 0;
  return deflatedSharpe({
    trials: trialSharpes.length,
    sharpeVariance: variance,
    sharpe: m.sharpe,
    observations: m.observations,
    skewness: m.skewness,
    kurtosis: m.kurtosis,
  });
}
