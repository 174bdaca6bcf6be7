import { spaceFromDefinition } from './definition-space';
import { enumerateGrid, satisfies } from './space';

describe('space from a definition', () => {
  it("converts the engine's param dimensions and constraints", () => {
    const { space, constraints } = spaceFromDefinition({
      params: [
        { name: 'fast', type: 'int', min: 5, max: 50, step: 1 },
        { name: 'slow', type: 'int', min: 20, max: 200, step: 10 },
        { name: 'sl', type: 'decimal', min: 0.01, max: 0.05 },
        { name: 'len', type: 'choice', min: 7, max: 21, values: [7, 14, 21] },
      ],
      constraints: [
        { lt: [{ param: 'fast' }, { param: 'slow' }] },
        { gte: [0.02, { param: 'sl' }] },
        { gt: [{ param: 'len' }, 7] },
      ],
    });
    expect(space).toEqual({
      fast: { type: 'int', min: 5, max: 50, step: 1 },
      slow: { type: 'int', min: 20, max: 200, step: 10 },
      sl: { type: 'decimal', min: 0.01, max: 0.05 },
      len: { type: 'choice', values: [7, 14, 21] },
    });
    expect(constraints).toEqual([
      { left: 'fast', op: '<', right: 'slow' },
      { left: 'sl', op: '<=', right: 0.02 },
      { left: 'len', op: '>', right: 7 },
    ]);
    expect(satisfies({ fast: 10, slow: 20, sl: 0.02, len: 14 }, constraints)).toBe(true);
    expect(satisfies({ fast: 10, slow: 20, sl: 0.03, len: 14 }, constraints)).toBe(false);
    const grid = enumerateGrid({ fast: space.fast, slow: space.slow }, constraints.slice(0, 1), 10_000);
    expect(grid.every((p) => (p.fast as number) < (p.slow as number))).toBe(true);
  });

  it('refuses a constraint with no param or two operators', () => {
    expect(() => spaceFromDefinition({ params: [], constraints: [{ lt: [1, 2] }] })).toThrow('constraints[0]');
    expect(() =>
      spaceFromDefinition({ params: [], constraints: [{ lt: [{ param: 'a' }, 1], gt: [{ param: 'a' }, 0] }] }),
    ).toThrow('constraints[0]');
  });
});
