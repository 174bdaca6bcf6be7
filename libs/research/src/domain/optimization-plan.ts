import { ResearchError } from './errors';
import { validateObjective, type Objective } from './objective';
import type { SearchConfig, SearchMethodName } from './search';
import {
  enumerateGrid,
  gridSize,
  narrowSpace,
  validateConstraints,
  type ParamConstraint,
  type ParamSpace,
  type RangeNarrowing,
} from './space';
import { planWalkForward, type WalkForwardSpec, type WalkForwardWindow } from './walk-forward';

/** The research part of `POST /api/v1/research/optimizations`, times already parsed to epoch ms. */
export interface OptimizationRequest {
  search: { method: SearchMethodName; maxTrials: number; seed?: number };
  space?: Readonly<Record<string, RangeNarrowing>>;
  objective: Objective;
  walkForward?: WalkForwardSpec;
  from: number;
  to: number;
}

/** A tier's limits for one optimisation. */
export interface ResearchBudget {
  /** Trials one optimisation may run, walk-forward windows included. */
  maxTrials: number;
  walkForward: boolean;
}

export interface OptimizationPlan {
  space: ParamSpace;
  constraints: readonly ParamConstraint[];
  search: SearchConfig;
  objective: Objective;
  /** Null without walk-forward: one search over [from, to). */
  windows: WalkForwardWindow[] | null;
  /** Trials each search may run (per window with walk-forward). */
  trialsPerSearch: number;
  /** Upper bound on all trials, each window's out-of-sample run included: what the budget is checked against. */
  totalTrials: number;
  /** Size of the full grid before constraints (Infinity with a continuous param). */
  gridSize: number;
}

/** Largest grid the planner enumerates just to prove the constraints can be met. */
const FEASIBILITY_CHECK_LIMIT = 100_000;

/**
 * Validates an optimisation request against the strategy's declared params and the tier's
 * budget, before anything is queued: every refusal names its field, and the budget refusals
 * carry the size asked for and the limit.
 */
export function planOptimization(
  declared: ParamSpace,
  constraints: readonly ParamConstraint[],
  request: OptimizationRequest,
  budget: ResearchBudget,
): OptimizationPlan {
  validateObjective(request.objective);
  const space = narrowSpace(declared, request.space);
  validateConstraints(constraints, space);
  const { method, maxTrials, seed } = request.search;
  if (!Number.isInteger(maxTrials) || maxTrials < 1) {
    throw new ResearchError('INVALID_SPACE', 'must be an integer ≥ 1', 'search.maxTrials');
  }
  if (method !== 'grid' && method !== 'random' && method !== 'tpe') {
    throw new ResearchError('INVALID_SPACE', 'must be grid, random or tpe', 'search.method');
  }
  if (seed !== undefined && !Number.isInteger(seed))
    throw new ResearchError('INVALID_SPACE', 'must be an integer', 'search.seed');

  let windows: WalkForwardWindow[] | null = null;
  if (request.walkForward) {
    if (!budget.walkForward) {
      throw new ResearchError(
        'WALK_FORWARD_NOT_ALLOWED',
        "the plan's tier does not include walk-forward",
        'walkForward',
      );
    }
    windows = planWalkForward(request.walkForward, request.from, request.to);
  }
  const runs = windows?.length ?? 1;
  const size = gridSize(space);
  const trialsPerSearch = method === 'grid' ? size : maxTrials;
  if (method === 'grid' && size > Math.min(maxTrials, budget.maxTrials)) {
    throw new ResearchError(
      'SPACE_TOO_LARGE',
      `the grid has ${size} combinations, the budget allows ${Math.min(maxTrials, budget.maxTrials)}`,
      'space',
      { size, budget: Math.min(maxTrials, budget.maxTrials) },
    );
  }
  const totalTrials = trialsPerSearch * runs + (windows ? runs : 0);
  if (totalTrials > budget.maxTrials) {
    throw new ResearchError(
      'TRIAL_BUDGET_EXCEEDED',
      `${totalTrials} trials (${trialsPerSearch} × ${runs} runs${windows ? ` + ${runs} out-of-sample` : ''}), the budget allows ${budget.maxTrials}`,
      'search.maxTrials',
      { trials: totalTrials, budget: budget.maxTrials },
    );
  }
  // NO_FEASIBLE_PARAMS (or a grid step error) surfaces here rather than as an empty job.
  if (size <= FEASIBILITY_CHECK_LIMIT) enumerateGrid(space, constraints, size);
  return {
    space,
    constraints,
    search: { method, maxTrials: trialsPerSearch, seed: seed ?? 1, maxGridSize: budget.maxTrials },
    objective: request.objective,
    windows,
    trialsPerSearch,
    totalTrials,
    gridSize: size,
  };
}
