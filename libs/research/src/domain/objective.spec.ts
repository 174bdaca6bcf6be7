import { ResearchError } from './errors';
import {
  evaluateObjective,
  objectiveHeatmap,
  OBJECTIVE_METRICS,
  rankTrials,
  sensitivity,
  validateObjective,
  type Objective,
  type ScoredTrial,
} from './objective';
import { enumerateGrid, type ParamSpace, type ParamValues } from './space';

const metrics = { sharpe: 1.2, tradeCount: 12, maxDrawdownPct: -18, totalReturnPct: 30, profitFactor: null };

describe('objective', () => {
  it('accepts any numeric backtest metric and refuses an unknown one with the path', () => {
    expect(OBJECTIVE_METRICS).toContain('sqn');
    expect(() => validateObjective({ metric: 'profitFactor', direction: 'maximize' })).not.toThrow();
    const check = (o: Objective, path: string) => {
      try {
        validateObjective(o);
        throw new Error('no error');
      } catch (error) {
        expect(error).toBeInstanceOf(ResearchError);
        expect((error as ResearchError).path).toBe(path);
      }
    };
    check({ metric: 'sharp', direction: 'maximize' }, 'objective.metric');
    check({ metric: 'sharpe', direction: 'up' as 'maximize' }, 'objective.direction');
    check(
      { metric: 'sharpe', direction: 'maximize', constraints: { minTrades: -1 } },
      'objective.constraints.minTrades',
    );
    check(
      { metric: 'sharpe', direction: 'maximize', constraints: { maxDrawdownPct: 120 } },
      'objective.constraints.maxDrawdownPct',
    );
  });

  it('scores by direction and applies minTrades and maxDrawdownPct', () => {
    expect(evaluateObjective(metrics, { metric: 'sharpe', direction: 'maximize' })).toEqual({
      value: 1.2,
      score: 1.2,
      feasible: true,
      violations: [],
    });
    expect(evaluateObjective(metrics, { metric: 'maxDrawdownPct', direction: 'minimize' }).score).toBe(18);
    const strict = evaluateObjective(metrics, {
      metric: 'sharpe',
      direction: 'maximize',
      constraints: { minTrades: 20, maxDrawdownPct: 15 },
    });
    expect(strict.feasible).toBe(false);
    expect(strict.score).toBeNull();
    expect(strict.value).toBe(1.2);
    expect(strict.violations).toHaveLength(2);
    expect(
      evaluateObjective(metrics, {
        metric: 'sharpe',
        direction: 'maximize',
        constraints: { minTrades: 12, maxDrawdownPct: 18 },
      }).feasible,
    ).toBe(true);
    expect(evaluateObjective(metrics, { metric: 'profitFactor', direction: 'maximize' })).toMatchObject({
      value: null,
      score: null,
      feasible: true,
    });
  });

  it('ranks best first, unscored last in their order', () => {
    const trials = [{ score: 1 }, { score: null }, { score: 3 }, { score: null, id: 'b' }, { score: 2 }];
    expect(rankTrials(trials)).toEqual([
      { score: 3 },
      { score: 2 },
      { score: 1 },
      { score: null },
      { score: null, id: 'b' },
    ]);
  });
});

describe('heatmap and sensitivity over a grid', () => {
  const space: ParamSpace = {
    fast: { type: 'int', min: 5, max: 25, step: 5 },
    slow: { type: 'int', min: 20, max: 60, step: 10 },
    exit: { type: 'choice', values: ['signal', 'stop'] },
  };
  const f = (p: ParamValues) =>
    10 - Math.abs((p.fast as number) - 15) / 5 - Math.abs((p.slow as number) - 40) / 10 - (p.exit === 'stop' ? 0.5 : 0);
  const trials: ScoredTrial[] = enumerateGrid(space, [{ left: 'fast', op: '<', right: 'slow' }], 1000).map(
    (params) => ({
      params,
      value: f(params),
      score: f(params),
    }),
  );

  it('projects the objective onto two params, best over the others, null where no trial ran', () => {
    const map = objectiveHeatmap(trials, 'fast', 'slow');
    expect(map.x.values).toEqual([5, 10, 15, 20, 25]);
    expect(map.y.values).toEqual([20, 30, 40, 50, 60]);
    // Naive: for every cell, scan all trials.
    map.y.values.forEach((y, i) =>
      map.x.values.forEach((x, j) => {
        const cell = trials.filter((t) => t.params.fast === x && t.params.slow === y).map((t) => t.value as number);
        expect(map.z[i][j]).toBe(cell.length ? Math.max(...cell) : null);
      }),
    );
    expect(map.z[0][3]).toBeNull(); // fast 20 ≥ slow 20: excluded by the constraint
    expect(() => objectiveHeatmap(trials, 'fast', 'fast')).toThrow('y');
    expect(() => objectiveHeatmap(trials, 'fsat', 'slow')).toThrow('x');
  });

  it("measures the objective's drop one grid step from the best", () => {
    const result = sensitivity(trials, space, 'maximize')!;
    expect(result.best).toEqual({ fast: 15, slow: 40, exit: 'signal' });
    expect(result.objective).toBe(10);
    const byParam = Object.fromEntries(result.params.map((p) => [p.param, p]));
    expect(byParam.fast.neighbours).toEqual([
      { value: 10, objective: 9 },
      { value: 20, objective: 9 },
    ]);
    expect(byParam.fast.drop).toBe(1);
    expect(byParam.slow.drop).toBe(1);
    expect(byParam.exit.drop).toBe(0.5);
    expect(result.meanRelativeDrop).toBeCloseTo((0.1 + 0.1 + 0.05) / 3, 12);
  });

  it('handles minimisation, missing neighbours and no scored trial', () => {
    const minimised = trials.map((t) => ({ ...t, value: -(t.value as number), score: t.score }));
    const result = sensitivity(minimised, space, 'minimize')!;
    expect(result.params.find((p) => p.param === 'fast')!.drop).toBe(1);
    const lone = sensitivity([trials[0]], space, 'maximize')!;
    expect(lone.params.every((p) => p.drop === null)).toBe(true);
    expect(lone.meanRelativeDrop).toBeNull();
    expect(sensitivity([{ params: {}, value: null, score: null }], space, 'maximize')).toBeNull();
  });
});
