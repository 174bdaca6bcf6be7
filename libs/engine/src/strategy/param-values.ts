import type { ConstraintOp, ParamConstraint, ParamRef, ParamSpec, StrategyDefinition } from '../types';

/** The helpers the validator and `bindParams` share: reading refs, substituting values, testing constraints. */

export const CONSTRAINT_OPS: readonly ConstraintOp[] = Object.freeze(['lt', 'lte', 'gt', 'gte'] as const);
const SYMBOL: Record<ConstraintOp, string> = { lt: '<', lte: '≤', gt: '>', gte: '≥' };

export function isParamRef(value: unknown): value is ParamRef {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    typeof (value as ParamRef).param === 'string' &&
    Object.keys(value).length === 1
  );
}

export function defaultValues(params: Record<string, ParamSpec>): Record<string, number> {
  return Object.fromEntries(Object.entries(params).map(([name, spec]) => [name, spec.default]));
}

/**
 * The definition with every `{ "param": name }` replaced by `values[name]` and without its
 * `params` and `constraints`: a concrete definition to validate and run.
 */
export function substitute(definition: object, values: Record<string, number>): StrategyDefinition {
  const walk = (node: unknown): unknown => {
    if (isParamRef(node)) return values[node.param];
    if (Array.isArray(node)) return node.map(walk);
    if (typeof node === 'object' && node !== null) {
      return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v)]));
    }
    return node;
  };
  const { params: _params, constraints: _constraints, ...rest } = definition as StrategyDefinition<unknown>;
  return walk(rest) as StrategyDefinition;
}

/** Why the values break the constraint (`fast < slow with fast = 30, slow = 20`), or undefined when they meet it. */
export function brokenConstraint(constraint: ParamConstraint, values: Record<string, number>): string | undefined {
  const op = Object.keys(constraint)[0] as ConstraintOp;
  const [a, b] = (constraint as Record<ConstraintOp, [number | ParamRef, number | ParamRef]>)[op];
  const value = (x: number | ParamRef) => (isParamRef(x) ? values[x.param] : x);
  const [x, y] = [value(a), value(b)];
  const met = op === 'lt' ? x < y : op === 'lte' ? x <= y : op === 'gt' ? x > y : x >= y;
  if (met) return undefined;
  const label = (o: number | ParamRef) => (isParamRef(o) ? o.param : String(o));
  const named = [a, b].filter(isParamRef).map((r) => `${r.param} = ${values[r.param]}`);
  return `${label(a)} ${SYMBOL[op]} ${label(b)} with ${[...new Set(named)].join(', ')}`;
}
