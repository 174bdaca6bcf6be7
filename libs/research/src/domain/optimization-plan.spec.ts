import { ResearchError } from './errors';
import { planOptimization, type OptimizationRequest } from './optimization-plan';
import { createSearch } from './search';
import type { ParamSpace } from './space';

const declared: ParamSpace = {
  fast: { type: 'int', min: 5, max: 50 },
  slow: { type: 'int', min: 20, max: 200, step: 10 },
};
const fastBelowSlow = [{ left: 'fast', op: '<' as const, right: 'slow' }];
const year = (y: number) => Date.UTC(y, 0, 1);
const request: OptimizationRequest = {
  search: { method: 'grid', maxTrials: 1000 },
  objective: { metric: 'sharpe', direction: 'maximize', constraints: { minTrades: 5 } },
  from: year(2020),
  to: year(2024),
};
const pro = { maxTrials: 5000, walkForward: true };

function refusal(f: () => unknown): ResearchError {
  try {
    f();
  } catch (error) {
    if (error instanceof ResearchError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('optimisation plan', () => {
  it('plans a grid within budget and hands a search that runs it', () => {
    const plan = planOptimization(
      declared,
      fastBelowSlow,
      { ...request, space: { fast: { min: 5, max: 45, step: 2 } } },
      pro,
    );
    expect(plan.gridSize).toBe(21 * 19);
    expect(plan.totalTrials).toBe(399);
    expect(plan.windows).toBeNull();
    const search = createSearch(plan.space, plan.constraints, plan.search);
    expect(search.ask(10_000).length).toBeLessThanOrEqual(399);
  });

  it('refuses a grid larger than the budget with its size, before enumerating it', () => {
    const huge: ParamSpace = {
      a: { type: 'int', min: 1, max: 1000 },
      b: { type: 'int', min: 1, max: 1000 },
      c: { type: 'int', min: 1, max: 1000 },
    };
    const error = refusal(() => planOptimization(huge, [], request, pro));
    expect(error.code).toBe('SPACE_TOO_LARGE');
    expect(error.details).toEqual({ size: 1e9, budget: 1000 });
  });

  it('counts walk-forward windows against the budget and refuses it on a tier without it', () => {
    const wf = {
      ...request,
      search: { method: 'random' as const, maxTrials: 300, seed: 3 },
      walkForward: { mode: 'rolling' as const, inSample: 'P2Y', outOfSample: 'P6M' },
    };
    const plan = planOptimization(declared, fastBelowSlow, wf, pro);
    expect(plan.windows).toHaveLength(4);
    expect(plan.totalTrials).toBe(300 * 4 + 4);
    const over = refusal(() => planOptimization(declared, fastBelowSlow, wf, { maxTrials: 1000, walkForward: true }));
    expect(over.code).toBe('TRIAL_BUDGET_EXCEEDED');
    expect(over.details).toEqual({ trials: 1204, budget: 1000 });
    expect(
      refusal(() => planOptimization(declared, fastBelowSlow, wf, { maxTrials: 200, walkForward: false })).code,
    ).toBe('WALK_FORWARD_NOT_ALLOWED');
  });

  it('answers bad input with the path: unknown param, unknown metric, impossible constraint, bad method', () => {
    expect(refusal(() => planOptimization(declared, [], { ...request, space: { fsat: { min: 6 } } }, pro)).path).toBe(
      'space.fsat',
    );
    expect(
      refusal(() =>
        planOptimization(declared, [], { ...request, objective: { metric: 'sharp', direction: 'maximize' } }, pro),
      ).path,
    ).toBe('objective.metric');
    expect(
      refusal(() =>
        planOptimization(
          declared,
          [{ left: 'slow', op: '<', right: 'fast' }],
          { ...request, space: { fast: { max: 15 } } },
          pro,
        ),
      ).code,
    ).toBe('NO_FEASIBLE_PARAMS');
    expect(
      refusal(() =>
        planOptimization(declared, [], { ...request, search: { method: 'anneal' as 'grid', maxTrials: 5 } }, pro),
      ).path,
    ).toBe('search.method');
    expect(
      refusal(() =>
        planOptimization(declared, [], { ...request, search: { method: 'random', maxTrials: 10, seed: 1.5 } }, pro),
      ).path,
    ).toBe('search.seed');
  });
});
