import { EngineError } from '../errors';
import type {
  ParamDimension,
  ParamSpace,
  ParamSpec,
  ParameterizedDefinition,
  StrategyDefinition,
  ValidationIssue,
} from '../types';
import { defaultValues } from './param-values';
import { checkBound, formatValidationIssues, onGrid, validateStrategyDocument } from './validate';

/** Grids larger than this are described by min, max and step only, never listed. */
export const MAX_LISTED_VALUES = 10_000;

/**
 * The concrete definition for these param values (the others keep their defaults). Pure, for the
 * optimiser: the definition must be valid (INVALID_STRATEGY otherwise); a value that is not a
 * declared param, lies outside its range or off its grid, breaks a constraint or makes the bound
 * definition invalid (e.g. MACD fast ≥ slow) throws EngineError INVALID_PARAMS with the issues.
 */
export function bindParams(
  definition: ParameterizedDefinition | StrategyDefinition,
  values: Readonly<Record<string, number>> = {},
): StrategyDefinition {
  const document = validateStrategyDocument(definition);
  if (!document.ok) {
    throw new EngineError('INVALID_STRATEGY', formatValidationIssues(document.errors), document.errors);
  }
  const params = document.definition.params ?? {};
  const issues: ValidationIssue[] = [];
  for (const [name, value] of Object.entries(values)) {
    const spec = Object.hasOwn(params, name) ? params[name] : undefined;
    const problem = spec === undefined ? 'is not a param of this definition' : misfit(spec, value);
    if (problem !== undefined) issues.push({ path: name, message: problem });
  }
  if (issues.length === 0) {
    const bound = checkBound(document.definition, { ...defaultValues(params), ...values });
    if (bound.ok) return bound.definition;
    issues.push(...bound.errors);
  }
  throw new EngineError('INVALID_PARAMS', formatValidationIssues(issues), issues);
}

/** The search space a definition declares: one dimension per param, in declaration order, and its constraints. */
export function paramSpace(definition: ParameterizedDefinition | StrategyDefinition): ParamSpace {
  const document = validateStrategyDocument(definition);
  if (!document.ok) {
    throw new EngineError('INVALID_STRATEGY', formatValidationIssues(document.errors), document.errors);
  }
  const params = document.definition.params ?? {};
  return {
    params: Object.entries(params).map(([name, spec]) => dimension(name, spec)),
    constraints: document.definition.constraints ?? [],
  };
}

function dimension(name: string, spec: ParamSpec): ParamDimension {
  const described = spec.description === undefined ? {} : { description: spec.description };
  if (spec.type === 'choice') {
    const values = [...spec.values].sort((a, b) => a - b);
    return {
      name,
      type: spec.type,
      default: spec.default,
      min: values[0],
      max: values[values.length - 1],
      values,
      ...described,
    };
  }
  const step = spec.step ?? (spec.type === 'int' ? 1 : undefined);
  const base = { name, type: spec.type, default: spec.default, min: spec.min, max: spec.max, ...described };
  if (step === undefined) return base;
  const count = Math.floor((spec.max - spec.min) / step + 1e-9) + 1;
  if (count > MAX_LISTED_VALUES) return { ...base, step };
  // Multiplying from min (not adding steps) keeps decimal grids free of accumulated rounding.
  const values = Array.from({ length: count }, (_, k) => round(spec.min + k * step));
  return { ...base, step, values };
}

/** Why `value` is not one the param may take, or undefined. */
function misfit(spec: ParamSpec, value: number): string | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) return 'must be a finite number';
  if (spec.type === 'choice') {
    return spec.values.includes(value) ? undefined : `must be one of ${spec.values.join(', ')}`;
  }
  if (spec.type === 'int' && !Number.isSafeInteger(value)) return 'must be an integer';
  if (value < spec.min || value > spec.max) return `must be from ${spec.min} to ${spec.max}`;
  const step = spec.step ?? (spec.type === 'int' ? 1 : undefined);
  if (step !== undefined && !onGrid(value, spec.min, step)) {
    return `must be ${spec.min} plus a whole number of steps of ${step}`;
  }
  return undefined;
}

/** Rounds away binary noise of min + k × step (e.g. 0.30000000000000004) to 12 significant digits. */
function round(value: number): number {
  return Number(value.toPrecision(12));
}
