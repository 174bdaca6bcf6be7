import type { BacktestMetrics } from '@app/engine';
import { ResearchError } from './errors';
import { axisSize, axisValue, paramsKey, type ParamSpace, type ParamValue, type ParamValues } from './space';

/** Every numeric key of a backtest's metrics: what `objective.metric` may name. */
export const OBJECTIVE_METRICS = [
  'finalEquity',
  'totalReturnPct',
  'cagrPct',
  'volatilityAnnPct',
  'sharpe',
  'sortino',
  'calmar',
  'maxDrawdownPct',
  'maxDrawdownDurationBars',
  'avgDrawdownPct',
  'tradeCount',
  'winRatePct',
  'profitFactor',
  'expectancyPct',
  'avgTradePct',
  'bestTradePct',
  'worstTradePct',
  'avgTradeDurationBars',
  'maxTradeDurationBars',
  'exposurePct',
  'buyAndHoldReturnPct',
  'sqn',
  'feesPaid',
  'slippagePaid',
  'ambiguousTrades',
] as const satisfies readonly (keyof BacktestMetrics)[];

// Fails to compile when BacktestMetrics gains a numeric key this list lacks.
type MissingMetric = Exclude<
  { [K in keyof BacktestMetrics]: BacktestMetrics[K] extends number | null ? K : never }[keyof BacktestMetrics],
  (typeof OBJECTIVE_METRICS)[number]
>;
const _allMetricsListed: [MissingMetric] extends [never] ? true : false = true;

export interface ObjectiveConstraints {
  minTrades?: number;
  /** Largest drawdown allowed, as a positive percent (20 = a drawdown deeper than −20 % fails). */
  maxDrawdownPct?: number;
}

export interface Objective {
  metric: string;
  direction: 'maximize' | 'minimize';
  constraints?: ObjectiveConstraints;
}

export function validateObjective(objective: Objective, metrics: readonly string[] = OBJECTIVE_METRICS): void {
  if (!metrics.includes(objective.metric)) {
    throw new ResearchError(
      'INVALID_OBJECTIVE',
      `unknown metric "${objective.metric}"; one of ${metrics.join(', ')}`,
      'objective.metric',
    );
  }
  if (objective.direction !== 'maximize' && objective.direction !== 'minimize') {
    throw new ResearchError('INVALID_OBJECTIVE', 'must be maximize or minimize', 'objective.direction');
  }
  const c = objective.constraints ?? {};
  if (c.minTrades !== undefined && !(Number.isInteger(c.minTrades) && c.minTrades >= 0)) {
    throw new ResearchError('INVALID_OBJECTIVE', 'must be an integer ≥ 0', 'objective.constraints.minTrades');
  }
  if (c.maxDrawdownPct !== undefined && !(c.maxDrawdownPct >= 0 && c.maxDrawdownPct <= 100)) {
    throw new ResearchError(
      'INVALID_OBJECTIVE',
      'must be a percent from 0 to 100',
      'objective.constraints.maxDrawdownPct',
    );
  }
}

export interface ObjectiveEvaluation {
  /** The metric's value, null when the backtest has none (e.g. Sharpe of a flat curve). */
  value: number | null;
  /** Higher is better whatever the direction; null when infeasible or valueless. */
  score: number | null;
  feasible: boolean;
  violations: string[];
}

export function evaluateObjective(
  metrics: Readonly<Record<string, unknown>>,
  objective: Objective,
): ObjectiveEvaluation {
  const raw = metrics[objective.metric];
  const value = typeof raw === 'number' && Number.isFinite(raw) ? raw : null;
  const violations: string[] = [];
  const c = objective.constraints ?? {};
  const trades = metrics.tradeCount;
  if (c.minTrades !== undefined && !(typeof trades === 'number' && trades >= c.minTrades)) {
    violations.push(`tradeCount ${String(trades)} < minTrades ${c.minTrades}`);
  }
  const drawdown = metrics.maxDrawdownPct;
  if (c.maxDrawdownPct !== undefined && !(typeof drawdown === 'number' && -drawdown <= c.maxDrawdownPct)) {
    violations.push(`maxDrawdownPct ${String(drawdown)} deeper than −${c.maxDrawdownPct}`);
  }
  const feasible = violations.length === 0;
  const score = feasible && value !== null ? (objective.direction === 'maximize' ? value : -value) : null;
  return { value, score, feasible, violations };
}

export interface ScoredTrial {
  params: ParamValues;
  /** Objective value (direction not applied); null for failed or infeasible trials. */
  value: number | null;
  score: number | null;
}

/** Best first; trials without a score last, in their original order. */
export function rankTrials<T extends { score: number | null }>(trials: readonly T[]): T[] {
  return trials
    .map((trial, i) => ({ trial, i }))
    .sort((a, b) => {
      if (a.trial.score === null || b.trial.score === null) {
        return a.trial.score === null ? (b.trial.score === null ? a.i - b.i : 1) : -1;
      }
      return b.trial.score - a.trial.score || a.i - b.i;
    })
    .map((x) => x.trial);
}

export interface Heatmap {
  x: { param: string; values: ParamValue[] };
  y: { param: string; values: ParamValue[] };
  /** z[i][j]: the best objective value among trials with y = y.values[i] and x = x.values[j]; null if none. */
  z: (number | null)[][];
}

/**
 * The objective over two params; the other params are maximised out (each cell shows the best
 * trial with those two values), the usual projection for a grid with more than two params.
 */
export function objectiveHeatmap(trials: readonly ScoredTrial[], xParam: string, yParam: string): Heatmap {
  if (xParam === yParam) throw new ResearchError('INVALID_OBJECTIVE', 'must differ from x', 'y');
  const sortValues = (values: ParamValue[]) =>
    [...new Set(values)].sort((a, b) =>
      typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b)),
    );
  const present = trials.filter((t) => xParam in t.params && yParam in t.params);
  if (trials.length > 0 && present.length === 0) {
    const missing = trials[0].params[xParam] === undefined ? xParam : yParam;
    throw new ResearchError('INVALID_OBJECTIVE', `unknown param "${missing}"`, missing === xParam ? 'x' : 'y');
  }
  const xs = sortValues(present.map((t) => t.params[xParam]));
  const ys = sortValues(present.map((t) => t.params[yParam]));
  const best: (number | null)[][] = ys.map(() => xs.map(() => null));
  const bestScore: (number | null)[][] = ys.map(() => xs.map(() => null));
  for (const t of present) {
    if (t.score === null) continue;
    const i = ys.indexOf(t.params[yParam]);
    const j = xs.indexOf(t.params[xParam]);
    const current = bestScore[i][j];
    if (current === null || t.score > current) {
      bestScore[i][j] = t.score;
      best[i][j] = t.value;
    }
  }
  return { x: { param: xParam, values: xs }, y: { param: yParam, values: ys }, z: best };
}

export interface ParamSensitivity {
  param: string;
  value: ParamValue;
  /** The neighbouring grid values that were evaluated, with their objective values. */
  neighbours: { value: ParamValue; objective: number | null }[];
  /** How much worse (≥ 0, in the objective's unit) the worst evaluated neighbour is; null if none. */
  drop: number | null;
  /** drop / |best objective|, null when the best is 0 or no neighbour was evaluated. */
  relativeDrop: number | null;
}

export interface Sensitivity {
  best: ParamValues;
  objective: number;
  params: ParamSensitivity[];
  /** Mean relative drop over the params that have one: small = a plateau, large = a spike. */
  meanRelativeDrop: number | null;
}

/**
 * How much the objective falls one grid step away from the best trial, one param at a time,
 * the others held. Only trials that were run are used: a random search's best may have few
 * evaluated neighbours. A neighbour that failed or broke a constraint is listed with objective
 * null and left out of `drop`.
 */
export function sensitivity(
  trials: readonly ScoredTrial[],
  space: ParamSpace,
  direction: Objective['direction'],
): Sensitivity | null {
  const ranked = rankTrials(trials);
  const top = ranked[0];
  if (!top || top.score === null || top.value === null) return null;
  const bestValue = top.value;
  const byKey = new Map(trials.map((t) => [paramsKey(t.params), t]));
  const params = Object.entries(space).map(([param, range]): ParamSensitivity => {
    const value = top.params[param];
    const neighbours: { value: ParamValue; objective: number | null }[] = [];
    const size = axisSize(range);
    const candidates: ParamValue[] = [];
    if (range.type === 'choice') {
      candidates.push(...range.values.filter((v) => v !== value));
    } else if (Number.isFinite(size)) {
      const step = range.step ?? 1;
      const index = Math.round(((value as number) - range.min) / step);
      for (const i of [index - 1, index + 1]) if (i >= 0 && i < size) candidates.push(axisValue(range, i));
    }
    for (const candidate of candidates) {
      const trial = byKey.get(paramsKey({ ...top.params, [param]: candidate }));
      if (trial) neighbours.push({ value: candidate, objective: trial.value });
    }
    const scored = neighbours.filter((n) => n.objective !== null).map((n) => n.objective as number);
    const worst = scored.length ? (direction === 'maximize' ? Math.min(...scored) : Math.max(...scored)) : null;
    const drop = worst === null ? null : Math.max(0, direction === 'maximize' ? bestValue - worst : worst - bestValue);
    return {
      param,
      value,
      neighbours,
      drop,
      relativeDrop: drop === null || bestValue === 0 ? null : drop / Math.abs(bestValue),
    };
  });
  const relative = params.map((p) => p.relativeDrop).filter((r): r is number => r !== null);
  return {
    best: top.params,
    objective: bestValue,
    params,
    meanRelativeDrop: relative.length ? relative.reduce((a, b) => a + b, 0) / relative.length : null,
  };
}
