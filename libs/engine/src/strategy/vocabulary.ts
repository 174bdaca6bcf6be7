import type { ComparisonOp } from '../types';

export const COMPARISON_OPS: readonly ComparisonOp[] = Object.freeze([
  'gt',
  'gte',
  'lt',
  'lte',
  'crossAbove',
  'crossBelow',
] as const);

export const LOGICAL_OPS = Object.freeze(['all', 'any', 'not'] as const);
export type LogicalOp = (typeof LOGICAL_OPS)[number];

export const CONDITION_OPS: readonly (ComparisonOp | LogicalOp)[] = Object.freeze([...LOGICAL_OPS, ...COMPARISON_OPS]);

export function isComparisonOp(value: string): value is ComparisonOp {
  return (COMPARISON_OPS as readonly string[]).includes(value);
}

export function isConditionOp(value: string): value is ComparisonOp | LogicalOp {
  return (CONDITION_OPS as readonly string[]).includes(value);
}

/** Levels of condition objects, the rule itself being level 1. */
export const MAX_CONDITION_DEPTH = 32;
/** Condition objects in a whole definition; bounds the work and memory of one compile. */
export const MAX_CONDITIONS = 512;
export const MAX_INDICATORS = 64;
export const INDICATOR_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
