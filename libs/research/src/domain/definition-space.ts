import { ResearchError } from './errors';
import type { ConstraintOp, ParamConstraint, ParamRange, ParamSpace } from './space';

/**
 * The shapes `paramSpace(definition)` of the engine returns (declared structurally, so this
 * library does not wait on the engine's types): one dimension per param, and constraints written
 * as in definitions, `{ "lt": [{ "param": "fast" }, { "param": "slow" }] }`.
 */
export interface DefinitionDimension {
  name: string;
  type: 'int' | 'decimal' | 'choice';
  min: number;
  max: number;
  step?: number;
  values?: readonly number[];
}

type Operand = number | { param: string };
export type DefinitionConstraint = Partial<Record<'lt' | 'lte' | 'gt' | 'gte', readonly [Operand, Operand]>>;

const OPS: Record<string, ConstraintOp> = { lt: '<', lte: '<=', gt: '>', gte: '>=' };
const FLIPPED: Record<ConstraintOp, ConstraintOp> = { '<': '>', '<=': '>=', '>': '<', '>=': '<=', '!=': '!=' };

/** A definition's declared params and constraints as this library's space and constraints. */
export function spaceFromDefinition(declared: {
  params: readonly DefinitionDimension[];
  constraints?: readonly DefinitionConstraint[];
}): { space: ParamSpace; constraints: ParamConstraint[] } {
  const space: Record<string, ParamRange> = {};
  for (const d of declared.params) {
    space[d.name] =
      d.type === 'choice'
        ? { type: 'choice', values: [...(d.values ?? [])] }
        : { type: d.type, min: d.min, max: d.max, ...(d.step === undefined ? {} : { step: d.step }) };
  }
  const constraints = (declared.constraints ?? []).map((c, i): ParamConstraint => {
    const entries = Object.entries(c);
    if (entries.length !== 1 || !(entries[0][0] in OPS)) {
      throw new ResearchError('INVALID_SPACE', 'must have exactly one of lt, lte, gt, gte', `constraints[${i}]`);
    }
    const [key, [a, b]] = entries[0] as [string, readonly [Operand, Operand]];
    const op = OPS[key];
    if (typeof a !== 'number') return { left: a.param, op, right: typeof b === 'number' ? b : b.param };
    if (typeof b !== 'number') return { left: b.param, op: FLIPPED[op], right: a };
    throw new ResearchError('INVALID_SPACE', 'compares two numbers, no param', `constraints[${i}]`);
  });
  return { space, constraints };
}
