import { ResearchError } from './errors';
import {
  axisValues,
  enumerateGrid,
  gridPoint,
  gridSize,
  narrowSpace,
  paramsKey,
  satisfies,
  type ParamSpace,
} from './space';

function failure(f: () => unknown): ResearchError {
  try {
    f();
  } catch (error) {
    if (error instanceof ResearchError) return error;
    throw error;
  }
  throw new Error('expected a ResearchError');
}

const declared: ParamSpace = {
  fast: { type: 'int', min: 5, max: 50, step: 1 },
  slow: { type: 'int', min: 20, max: 200, step: 10 },
  threshold: { type: 'decimal', min: 0.1, max: 0.5, step: 0.1 },
  source: { type: 'choice', values: ['close', 'hl2'] },
};

describe('param space', () => {
  it('lists grid values on the step without float noise', () => {
    expect(axisValues(declared.threshold)).toEqual([0.1, 0.2, 0.3, 0.4, 0.5]);
    expect(axisValues({ type: 'decimal', min: 0, max: 1, step: 0.25 })).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(axisValues({ type: 'int', min: 5, max: 12, step: 3 })).toEqual([5, 8, 11]);
    expect(axisValues({ type: 'decimal', min: 0, max: 1 })).toEqual([]);
  });

  it('computes the grid size as a product, without enumerating', () => {
    expect(gridSize(declared)).toBe(46 * 19 * 5 * 2);
    const huge: ParamSpace = Object.fromEntries(
      ['a', 'b', 'c'].map((k) => [k, { type: 'int' as const, min: 1, max: 1000 }]),
    );
    expect(gridSize(huge)).toBe(1e9);
    const error = failure(() => enumerateGrid(huge, [], 5000));
    expect(error.code).toBe('SPACE_TOO_LARGE');
    expect(error.details).toEqual({ size: 1e9, budget: 5000 });
    expect(gridSize({ x: { type: 'decimal', min: 0, max: 1 } })).toBe(Infinity);
  });

  it('indexes the grid in mixed radix, last param fastest, matching nested loops', () => {
    const space: ParamSpace = { a: { type: 'int', min: 1, max: 3 }, b: { type: 'choice', values: ['x', 'y'] } };
    const nested: unknown[] = [];
    for (const a of [1, 2, 3]) for (const b of ['x', 'y']) nested.push({ a, b });
    expect(Array.from({ length: 6 }, (_, i) => gridPoint(space, i))).toEqual(nested);
  });

  it('filters the grid by constraints between params and refuses an empty result', () => {
    const space: ParamSpace = {
      fast: { type: 'int', min: 5, max: 30, step: 5 },
      slow: { type: 'int', min: 10, max: 40, step: 10 },
    };
    const points = enumerateGrid(space, [{ left: 'fast', op: '<', right: 'slow' }], 1000);
    expect(points.every((p) => (p.fast as number) < (p.slow as number))).toBe(true);
    // fast ∈ {5..30}, slow ∈ {10..40}: pairs with fast < slow.
    let expected = 0;
    for (let f = 5; f <= 30; f += 5) for (let s = 10; s <= 40; s += 10) if (f < s) expected++;
    expect(points).toHaveLength(expected);
    const none = failure(() => enumerateGrid(space, [{ left: 'fast', op: '>', right: 100 }], 1000));
    expect(none.code).toBe('NO_FEASIBLE_PARAMS');
    expect(failure(() => enumerateGrid(space, [{ left: 'fsat', op: '<', right: 'slow' }], 1000)).path).toBe(
      'constraints[0].left',
    );
    expect(failure(() => enumerateGrid({ x: { type: 'decimal', min: 0, max: 1 } }, [], 1000)).path).toBe(
      'space.x.step',
    );
  });

  it('evaluates every constraint operator', () => {
    const v = { a: 1, b: 2 };
    expect(satisfies(v, [{ left: 'a', op: '<', right: 'b' }])).toBe(true);
    expect(satisfies(v, [{ left: 'a', op: '<=', right: 1 }])).toBe(true);
    expect(satisfies(v, [{ left: 'a', op: '>', right: 'b' }])).toBe(false);
    expect(satisfies(v, [{ left: 'b', op: '>=', right: 2 }])).toBe(true);
    expect(satisfies(v, [{ left: 'a', op: '!=', right: 1 }])).toBe(false);
  });

  it('narrows declared ranges and refuses widening or unknown params with the path', () => {
    const narrowed = narrowSpace(declared, { fast: { min: 5, max: 45, step: 2 }, source: { values: ['close'] } });
    expect(narrowed.fast).toEqual({ type: 'int', min: 5, max: 45, step: 2 });
    expect(narrowed.source).toEqual({ type: 'choice', values: ['close'] });
    expect(narrowed.slow).toBe(declared.slow);
    expect(failure(() => narrowSpace(declared, { fsat: { min: 1 } })).path).toBe('space.fsat');
    expect(failure(() => narrowSpace(declared, { fast: { max: 60 } })).path).toBe('space.fast.max');
    expect(failure(() => narrowSpace(declared, { fast: { min: 2 } })).path).toBe('space.fast.min');
    expect(failure(() => narrowSpace(declared, { fast: { min: 30, max: 20 } })).path).toBe('space.fast.max');
    expect(failure(() => narrowSpace(declared, { fast: { step: 1.5 } })).path).toBe('space.fast.step');
    expect(failure(() => narrowSpace(declared, { source: { values: ['open'] } })).path).toBe('space.source.values[0]');
    expect(failure(() => narrowSpace({ fast: { type: 'int', min: 10, max: 5 } })).path).toBe('params.fast.max');
  });

  it('keys params independently of their order', () => {
    expect(paramsKey({ a: 1, b: 'x' })).toBe(paramsKey({ b: 'x', a: 1 }));
    expect(paramsKey({ a: 1 })).not.toBe(paramsKey({ a: '1' }));
  });
});
