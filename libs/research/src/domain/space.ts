import { ResearchError } from './errors';

export type ParamValue = number | string | boolean;
export type ParamValues = Record<string, ParamValue>;

/**
 * A param's search range, in the shape strategy definitions declare it (`params.fast`:
 * `{ "type": "int", "min": 5, "max": 50, "step": 1 }`); other keys such as `default` are ignored.
 */
export type ParamRange =
  | { type: 'int'; min: number; max: number; step?: number }
  | { type: 'decimal'; min: number; max: number; step?: number }
  | { type: 'choice'; values: readonly ParamValue[] };

export type ParamSpace = Readonly<Record<string, ParamRange>>;

/** A request's narrowing of one declared range (`space.fast` in an optimisation request). */
export interface RangeNarrowing {
  min?: number;
  max?: number;
  step?: number;
  values?: readonly ParamValue[];
}

export type ConstraintOp = '<' | '<=' | '>' | '>=' | '!=';

/** `fast < slow`, or a param against a number (`threshold <= 0.5`). */
export interface ParamConstraint {
  left: string;
  op: ConstraintOp;
  right: string | number;
}

const OPS: readonly ConstraintOp[] = ['<', '<=', '>', '>=', '!='];

/** Decimal places of a step, so that grid values are 0.3, not 0.30000000000000004. */
function decimalsOf(step: number): number {
  const text = String(step);
  const exp = /e-(\d+)$/.exec(text);
  if (exp) return Number(exp[1]);
  const dot = text.indexOf('.');
  return dot < 0 ? 0 : text.length - dot - 1;
}

export function validateSpace(space: ParamSpace, prefix = 'space'): void {
  const names = Object.keys(space);
  if (names.length === 0) throw new ResearchError('INVALID_SPACE', 'declares no params', prefix);
  for (const name of names) {
    const range = space[name];
    const at = `${prefix}.${name}`;
    if (range.type === 'choice') {
      if (!Array.isArray(range.values) || range.values.length === 0) {
        throw new ResearchError('INVALID_SPACE', 'must list at least one value', `${at}.values`);
      }
      continue;
    }
    if (range.type !== 'int' && range.type !== 'decimal') {
      throw new ResearchError('INVALID_SPACE', 'must be int, decimal or choice', `${at}.type`);
    }
    for (const key of ['min', 'max'] as const) {
      if (!Number.isFinite(range[key]))
        throw new ResearchError('INVALID_SPACE', 'must be a finite number', `${at}.${key}`);
      if (range.type === 'int' && !Number.isInteger(range[key])) {
        throw new ResearchError('INVALID_SPACE', 'must be an integer', `${at}.${key}`);
      }
    }
    if (range.max < range.min) throw new ResearchError('INVALID_SPACE', 'must be ≥ min', `${at}.max`);
    if (range.step !== undefined) {
      if (!(Number.isFinite(range.step) && range.step > 0)) {
        throw new ResearchError('INVALID_SPACE', 'must be a number > 0', `${at}.step`);
      }
      if (range.type === 'int' && !Number.isInteger(range.step)) {
        throw new ResearchError('INVALID_SPACE', 'must be an integer', `${at}.step`);
      }
    }
  }
}

/**
 * Applies a request's narrowing to the declared ranges. A narrowed range must stay inside the
 * declared one, so a request cannot search values the strategy's author did not allow.
 */
export function narrowSpace(
  declared: ParamSpace,
  narrowing: Readonly<Record<string, RangeNarrowing>> = {},
): ParamSpace {
  validateSpace(declared, 'params');
  const result: Record<string, ParamRange> = { ...declared };
  for (const [name, narrow] of Object.entries(narrowing)) {
    const at = `space.${name}`;
    const range = declared[name];
    if (!range) throw new ResearchError('INVALID_SPACE', `unknown param "${name}"`, at);
    if (range.type === 'choice') {
      if (narrow.min !== undefined || narrow.max !== undefined || narrow.step !== undefined) {
        throw new ResearchError('INVALID_SPACE', 'a choice param is narrowed by values only', at);
      }
      if (narrow.values !== undefined) {
        const bad = narrow.values.findIndex((v) => !range.values.includes(v));
        if (bad >= 0) throw new ResearchError('INVALID_SPACE', 'is not a declared value', `${at}.values[${bad}]`);
        result[name] = { type: 'choice', values: [...narrow.values] };
      }
      continue;
    }
    if (narrow.values !== undefined)
      throw new ResearchError('INVALID_SPACE', 'only a choice param takes values', `${at}.values`);
    const next = { ...range, ...pick(narrow) };
    if (next.min < range.min)
      throw new ResearchError('INVALID_SPACE', `must be ≥ the declared min ${range.min}`, `${at}.min`);
    if (next.max > range.max)
      throw new ResearchError('INVALID_SPACE', `must be ≤ the declared max ${range.max}`, `${at}.max`);
    result[name] = next;
  }
  validateSpace(result);
  return result;
}

function pick(narrow: RangeNarrowing): { min?: number; max?: number; step?: number } {
  const out: { min?: number; max?: number; step?: number } = {};
  if (narrow.min !== undefined) out.min = narrow.min;
  if (narrow.max !== undefined) out.max = narrow.max;
  if (narrow.step !== undefined) out.step = narrow.step;
  return out;
}

export function validateConstraints(constraints: readonly ParamConstraint[], space: ParamSpace): void {
  constraints.forEach((c, i) => {
    const at = `constraints[${i}]`;
    if (!(c.left in space)) throw new ResearchError('INVALID_SPACE', `unknown param "${c.left}"`, `${at}.left`);
    if (!OPS.includes(c.op)) throw new ResearchError('INVALID_SPACE', `must be one of ${OPS.join(' ')}`, `${at}.op`);
    if (typeof c.right === 'string' && !(c.right in space)) {
      throw new ResearchError('INVALID_SPACE', `unknown param "${c.right}"`, `${at}.right`);
    }
    if (typeof c.right !== 'string' && !Number.isFinite(c.right)) {
      throw new ResearchError('INVALID_SPACE', 'must be a param name or a finite number', `${at}.right`);
    }
  });
}

export function satisfies(values: ParamValues, constraints: readonly ParamConstraint[]): boolean {
  for (const c of constraints) {
    const a = values[c.left];
    const b = typeof c.right === 'string' ? values[c.right] : c.right;
    let ok: boolean;
    switch (c.op) {
      case '<':
        ok = a < b;
        break;
      case '<=':
        ok = a <= b;
        break;
      case '>':
        ok = a > b;
        break;
      case '>=':
        ok = a >= b;
        break;
      case '!=':
        ok = a !== b;
        break;
    }
    if (!ok) return false;
  }
  return true;
}

/** Number of grid values of one range; Infinity for a decimal without a step (continuous). */
export function axisSize(range: ParamRange): number {
  if (range.type === 'choice') return range.values.length;
  const step = range.step ?? (range.type === 'int' ? 1 : undefined);
  if (step === undefined) return range.min === range.max ? 1 : Infinity;
  return Math.floor((range.max - range.min) / step + 1e-9) + 1;
}

/** The i-th grid value of a range (0-based), rounded to the step's decimals. */
export function axisValue(range: ParamRange, i: number): ParamValue {
  if (range.type === 'choice') return range.values[i];
  const step = range.step ?? 1;
  const value = range.min + i * step;
  return range.type === 'int'
    ? Math.round(value)
    : Number(value.toFixed(Math.max(decimalsOf(step), decimalsOf(range.min))));
}

export function axisValues(range: ParamRange): ParamValue[] {
  const n = axisSize(range);
  if (!Number.isFinite(n)) return [];
  return Array.from({ length: n }, (_, i) => axisValue(range, i));
}

/**
 * Size of the full grid, as a product, without enumerating it: a 10⁹-point grid is refused in
 * microseconds. Constraints are not applied (they can only make it smaller).
 */
export function gridSize(space: ParamSpace): number {
  let size = 1;
  for (const range of Object.values(space)) size *= axisSize(range);
  return size;
}

/** The grid point at a mixed-radix index, the last param varying fastest. */
export function gridPoint(space: ParamSpace, index: number): ParamValues {
  const names = Object.keys(space);
  const values: ParamValues = {};
  let rest = index;
  for (let i = names.length - 1; i >= 0; i--) {
    const range = space[names[i]];
    const size = axisSize(range);
    values[names[i]] = axisValue(range, rest % size);
    rest = Math.floor(rest / size);
  }
  // Keep the declared order of keys.
  return Object.fromEntries(names.map((n) => [n, values[n]]));
}

/** A stable identity for a set of values: trials with equal params have equal keys. */
export function paramsKey(values: ParamValues): string {
  return JSON.stringify(
    Object.keys(values)
      .sort()
      .map((k) => [k, values[k]]),
  );
}

/**
 * Every grid point that satisfies the constraints. Refuses (SPACE_TOO_LARGE, with the size and
 * the limit) before enumerating anything when the grid exceeds `maxSize`, and refuses an empty
 * feasible set (NO_FEASIBLE_PARAMS) instead of answering with zero trials.
 */
export function enumerateGrid(
  space: ParamSpace,
  constraints: readonly ParamConstraint[],
  maxSize: number,
): ParamValues[] {
  validateSpace(space);
  validateConstraints(constraints, space);
  for (const [name, range] of Object.entries(space)) {
    if (!Number.isFinite(axisSize(range))) {
      throw new ResearchError('INVALID_SPACE', 'a grid search needs a step for a decimal param', `space.${name}.step`);
    }
  }
  const size = gridSize(space);
  if (size > maxSize) {
    throw new ResearchError(
      'SPACE_TOO_LARGE',
      `the grid has ${size} combinations, the budget allows ${maxSize}`,
      'space',
      {
        size,
        budget: maxSize,
      },
    );
  }
  const points: ParamValues[] = [];
  for (let i = 0; i < size; i++) {
    const point = gridPoint(space, i);
    if (satisfies(point, constraints)) points.push(point);
  }
  if (points.length === 0)
    throw new ResearchError('NO_FEASIBLE_PARAMS', 'no combination satisfies the constraints', 'constraints');
  return points;
}
