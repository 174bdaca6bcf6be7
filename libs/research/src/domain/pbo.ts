import { ResearchError } from './errors';

export type PboMetric = 'sharpe' | 'mean';

export interface PboInput {
  /**
   * Per-period returns, one row per period (T rows, oldest first), one column per trial (N).
   * Either an array of rows or a flat row-major Float64Array with `trials` given.
   */
  returns: readonly (readonly number[])[] | Float64Array;
  trials?: number;
  /** Number of blocks S the periods are split into: even, ≥ 2; default 16. */
  partitions?: number;
  /** What ranks trials inside a block set: Sharpe ratio (default) or mean return. */
  metric?: PboMetric;
  /** Histogram bins for the logit distribution; default 20. */
  bins?: number;
}

export interface HistogramBin {
  from: number;
  to: number;
  count: number;
}

export interface PboResult {
  /** Share of combinations whose in-sample best ranks at or below the out-of-sample median. */
  pbo: number;
  combinations: number;
  partitions: number;
  trials: number;
  /** Periods used: T rounded down to a multiple of S (the oldest T mod S periods are left out). */
  periodsUsed: number;
  metric: PboMetric;
  /** λ = ln(ω / (1 − ω)) per combination, ω the in-sample best's relative out-of-sample rank. */
  logits: Float64Array;
  histogram: HistogramBin[];
  /** Mean out-of-sample metric of the in-sample best, and the share of combinations where it is < 0. */
  meanOutOfSample: number;
  probabilityOfLoss: number;
}

/**
 * Probability of Backtest Overfitting by combinatorially symmetric cross-validation (Bailey,
 * Borwein, López de Prado & Zhu, 2015). The periods are cut into S blocks; for each of the
 * C(S, S/2) ways to pick half of them as in-sample, the trial best in-sample is ranked among all
 * trials on the other half. Per-block sums and sums of squares are computed once, so each
 * combination costs S/2 · N additions plus the ranking, never a pass over the returns.
 */
export function probabilityOfBacktestOverfitting(input: PboInput): PboResult {
  const S = input.partitions ?? 16;
  const metric = input.metric ?? 'sharpe';
  const bins = input.bins ?? 20;
  if (!Number.isInteger(S) || S < 2 || S % 2 !== 0 || S > 32) {
    throw new ResearchError('INVALID_STATISTICS_INPUT', 'must be an even integer from 2 to 32', 'partitions');
  }
  if (!Number.isInteger(bins) || bins < 1)
    throw new ResearchError('INVALID_STATISTICS_INPUT', 'must be an integer ≥ 1', 'bins');
  const { flat, T, N } = toMatrix(input);
  if (N < 2) throw new ResearchError('INVALID_STATISTICS_INPUT', 'needs at least 2 trials', 'returns');
  const blockLength = Math.floor(T / S);
  // Sharpe needs a variance in each half: at least 2 periods per half.
  if (blockLength < 1 || blockLength * (S / 2) < 2) {
    throw new ResearchError('INVALID_STATISTICS_INPUT', `needs at least ${S} periods for ${S} partitions`, 'returns');
  }
  const offset = T - blockLength * S;

  // Per block b, trial n: sum and sum of squares, laid out [b * N + n].
  const blockSum = new Float64Array(S * N);
  const blockSq = new Float64Array(S * N);
  for (let b = 0; b < S; b++) {
    const base = b * N;
    for (let t = offset + b * blockLength, end = t + blockLength; t < end; t++) {
      const row = t * N;
      for (let n = 0; n < N; n++) {
        const r = flat[row + n];
        blockSum[base + n] += r;
        blockSq[base + n] += r * r;
      }
    }
  }
  const totalSum = new Float64Array(N);
  const totalSq = new Float64Array(N);
  for (let b = 0; b < S; b++) {
    for (let n = 0; n < N; n++) {
      totalSum[n] += blockSum[b * N + n];
      totalSq[n] += blockSq[b * N + n];
    }
  }

  const half = S / 2;
  const count = half * blockLength;
  const combos = binomial(S, half);
  const logits = new Float64Array(combos);
  const inSum = new Float64Array(N);
  const inSq = new Float64Array(N);
  const outMetric = new Float64Array(N);
  let sumOut = 0;
  let losses = 0;
  let overfit = 0;
  const chosen = Array.from({ length: half }, (_, i) => i);
  for (let c = 0; c < combos; c++) {
    inSum.fill(0);
    inSq.fill(0);
    for (const b of chosen) {
      const base = b * N;
      for (let n = 0; n < N; n++) {
        inSum[n] += blockSum[base + n];
        inSq[n] += blockSq[base + n];
      }
    }
    // In-sample best; ties go to the lowest trial index.
    let best = 0;
    let bestValue = -Infinity;
    for (let n = 0; n < N; n++) {
      const value = score(metric, inSum[n], inSq[n], count);
      if (value > bestValue) {
        bestValue = value;
        best = n;
      }
      outMetric[n] = score(metric, totalSum[n] - inSum[n], totalSq[n] - inSq[n], count);
    }
    // Rank 1..N of the best's out-of-sample value, ties sharing their average rank.
    const target = outMetric[best];
    let below = 0;
    let equal = 0;
    for (let n = 0; n < N; n++) {
      if (outMetric[n] < target) below++;
      else if (outMetric[n] === target) equal++;
    }
    const rank = below + (equal + 1) / 2;
    const omega = rank / (N + 1);
    const logit = Math.log(omega / (1 - omega));
    logits[c] = logit;
    if (logit <= 0) overfit++;
    sumOut += target;
    if (target < 0) losses++;
    nextCombination(chosen, S);
  }

  return {
    pbo: overfit / combos,
    combinations: combos,
    partitions: S,
    trials: N,
    periodsUsed: blockLength * S,
    metric,
    logits,
    histogram: histogram(logits, bins),
    meanOutOfSample: sumOut / combos,
    probabilityOfLoss: losses / combos,
  };
}

function score(metric: PboMetric, sum: number, sq: number, n: number): number {
  const mean = sum / n;
  if (metric === 'mean') return mean;
  const variance = (sq - sum * mean) / (n - 1);
  // A flat series has no risk to divide by: rank it by its mean's sign alone.
  if (!(variance > 1e-300)) return mean > 0 ? Infinity : mean < 0 ? -Infinity : 0;
  return mean / Math.sqrt(variance);
}

function toMatrix(input: PboInput): { flat: Float64Array; T: number; N: number } {
  if (input.returns instanceof Float64Array) {
    const N = input.trials ?? 0;
    if (!Number.isInteger(N) || N < 1 || input.returns.length % N !== 0) {
      throw new ResearchError('INVALID_STATISTICS_INPUT', 'must divide the length of the flat returns', 'trials');
    }
    checkFinite(input.returns);
    return { flat: input.returns, T: input.returns.length / N, N };
  }
  const rows = input.returns;
  const T = rows.length;
  const N = T > 0 ? rows[0].length : 0;
  const flat = new Float64Array(T * N);
  for (let t = 0; t < T; t++) {
    if (rows[t].length !== N) {
      throw new ResearchError(
        'INVALID_STATISTICS_INPUT',
        `row has ${rows[t].length} trials, expected ${N}`,
        `returns[${t}]`,
      );
    }
    flat.set(rows[t], t * N);
  }
  checkFinite(flat);
  return { flat, T, N };
}

function checkFinite(values: Float64Array): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i]))
      throw new ResearchError('INVALID_STATISTICS_INPUT', 'returns must be finite', 'returns');
  }
}

export function binomial(n: number, k: number): number {
  let result = 1;
  for (let i = 1; i <= k; i++) result = (result * (n - k + i)) / i;
  return Math.round(result);
}

/** Advances a sorted k-subset of 0..n−1 to the next in lexicographic order, in place. */
function nextCombination(chosen: number[], n: number): void {
  const k = chosen.length;
  let i = k - 1;
  while (i >= 0 && chosen[i] === n - k + i) i--;
  if (i < 0) return;
  chosen[i]++;
  for (let j = i + 1; j < k; j++) chosen[j] = chosen[j - 1] + 1;
}

function histogram(values: Float64Array, bins: number): HistogramBin[] {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (values.length === 0) return [];
  if (min === max) return [{ from: min, to: max, count: values.length }];
  const width = (max - min) / bins;
  const result = Array.from({ length: bins }, (_, i) => ({
    from: min + i * width,
    to: i === bins - 1 ? max : min + (i + 1) * width,
    count: 0,
  }));
  for (const v of values) result[Math.min(bins - 1, Math.floor((v - min) / width))].count++;
  return result;
}
