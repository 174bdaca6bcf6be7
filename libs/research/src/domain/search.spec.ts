import { ResearchError } from './errors';
import { createSearch, evenSample, type SearchMethod } from './search';
import { paramsKey, satisfies, type ParamSpace, type ParamValues } from './space';

const sma: ParamSpace = {
  fast: { type: 'int', min: 2, max: 100 },
  slow: { type: 'int', min: 10, max: 300, step: 2 },
};
const fastBelowSlow = [{ left: 'fast', op: '<' as const, right: 'slow' }];

/** A smooth objective with one optimum at fast 23, slow 140. */
const objective = (p: ParamValues) => -(((p.fast as number) - 23) ** 2) / 100 - ((p.slow as number) - 140) ** 2 / 900;

/** Runs a search to its end in batches, the way a job runner does, and returns every trial asked. */
function run(search: SearchMethod, batch: number, score = objective): ParamValues[] {
  const all: ParamValues[] = [];
  for (;;) {
    const asked = search.ask(batch);
    if (asked.length === 0) break;
    all.push(...asked);
    search.tell(asked.map((params) => ({ params, score: score(params) })));
  }
  return all;
}

const best = (trials: ParamValues[]) => Math.max(...trials.map(objective));

describe('search methods', () => {
  it('grid: every feasible point once, in order, in any batch size', () => {
    const space: ParamSpace = {
      fast: { type: 'int', min: 5, max: 30, step: 5 },
      slow: { type: 'int', min: 10, max: 40, step: 10 },
    };
    const a = run(createSearch(space, fastBelowSlow, { method: 'grid', maxTrials: 100 }), 7);
    const b = run(createSearch(space, fastBelowSlow, { method: 'grid', maxTrials: 100 }), 1);
    expect(a).toEqual(b);
    expect(new Set(a.map(paramsKey)).size).toBe(a.length);
    expect(a.every((p) => satisfies(p, fastBelowSlow))).toBe(true);
  });

  it('grid: refuses a grid over the budget before asking anything', () => {
    try {
      createSearch(sma, [], { method: 'grid', maxTrials: 500 });
      throw new Error('no error');
    } catch (error) {
      expect((error as ResearchError).code).toBe('SPACE_TOO_LARGE');
      expect((error as ResearchError).details).toEqual({ size: 99 * 146, budget: 500 });
    }
  });

  it('random: reproducible by seed, different across seeds, within budget and constraints, no repeats', () => {
    const a = run(createSearch(sma, fastBelowSlow, { method: 'random', maxTrials: 200, seed: 7 }), 16);
    const b = run(createSearch(sma, fastBelowSlow, { method: 'random', maxTrials: 200, seed: 7 }), 5);
    const c = run(createSearch(sma, fastBelowSlow, { method: 'random', maxTrials: 200, seed: 8 }), 16);
    expect(a).toHaveLength(200);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
    expect(new Set(a.map(paramsKey)).size).toBe(200);
    expect(a.every((p) => satisfies(p, fastBelowSlow))).toBe(true);
    expect(a.every((p) => (p.slow as number) % 2 === 0)).toBe(true);
  });

  it('random: a feasible space smaller than the budget is searched whole, then stops', () => {
    const space: ParamSpace = { x: { type: 'int', min: 1, max: 4 }, y: { type: 'choice', values: [true, false] } };
    const trials = run(createSearch(space, [], { method: 'random', maxTrials: 50, seed: 3 }), 3);
    expect(trials).toHaveLength(8);
    expect(new Set(trials.map(paramsKey)).size).toBe(8);
  });

  it('random: samples a continuous decimal inside its range', () => {
    const trials = run(
      createSearch({ x: { type: 'decimal', min: 0.5, max: 1.5 } }, [], { method: 'random', maxTrials: 100, seed: 1 }),
      10,
    );
    expect(trials.every((p) => (p.x as number) >= 0.5 && (p.x as number) <= 1.5)).toBe(true);
    expect(new Set(trials.map((p) => p.x)).size).toBe(100);
  });

  it('tpe: reproducible by seed and batch schedule, within constraints, no repeats', () => {
    const a = run(createSearch(sma, fastBelowSlow, { method: 'tpe', maxTrials: 80, seed: 4 }), 8);
    const b = run(createSearch(sma, fastBelowSlow, { method: 'tpe', maxTrials: 80, seed: 4 }), 8);
    expect(a).toEqual(b);
    expect(a).toHaveLength(80);
    expect(new Set(a.map(paramsKey)).size).toBe(80);
    expect(a.every((p) => satisfies(p, fastBelowSlow))).toBe(true);
  });

  it('tpe: finds better points than random search on the same budget', () => {
    let tpeWins = 0;
    let tpeSum = 0;
    let randomSum = 0;
    for (let seed = 1; seed <= 12; seed++) {
      const tpe = best(run(createSearch(sma, fastBelowSlow, { method: 'tpe', maxTrials: 60, seed }), 6));
      const random = best(run(createSearch(sma, fastBelowSlow, { method: 'random', maxTrials: 60, seed }), 6));
      tpeSum += tpe;
      randomSum += random;
      if (tpe > random) tpeWins++;
    }
    expect(tpeSum / 12).toBeGreaterThan(randomSum / 12);
    expect(tpeWins).toBeGreaterThanOrEqual(8);
  });

  it('tpe: failed trials count as the worst and do not stop the search', () => {
    const trials = run(createSearch(sma, [], { method: 'tpe', maxTrials: 50, seed: 2 }), 5, (p) =>
      (p.fast as number) > 50 ? (null as unknown as number) : objective(p),
    );
    expect(trials).toHaveLength(50);
  });

  it('refuses a budget that is not a positive integer and an unknown method', () => {
    expect(() => createSearch(sma, [], { method: 'random', maxTrials: 0 })).toThrow('search.maxTrials');
    expect(() => createSearch(sma, [], { method: 'anneal' as 'grid', maxTrials: 5 })).toThrow('search.method');
  });

  it('bounds the kernels of g(x) by an even sample of the ranked trials', () => {
    const items = Array.from({ length: 1000 }, (_, i) => i);
    const sample = evenSample(items, 200);
    expect(sample).toHaveLength(200);
    expect(sample.slice(0, 3)).toEqual([0, 5, 10]);
    expect(sample[199]).toBe(995);
    expect(evenSample([1, 2, 3], 200)).toEqual([1, 2, 3]);
    expect(evenSample(items.slice(0, 300), 200)).toHaveLength(200);
  });
});
