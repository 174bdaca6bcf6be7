import { DEFAULT_SOURCE, INDICATOR_TYPES, MAX_PERIOD, indicatorEntry } from '../indicators';
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

/**
 * One line per indicator for people and models writing definitions: its parameters with their
 * ranges and defaults, and its outputs, e.g.
 * `bbands(period: integer 1..10000, stdDev: number > 0 and ≤ 100 = 2, source = close) → upper, middle, lower: Bollinger Bands…`.
 */
export function indicatorVocabulary(): string[] {
  return INDICATOR_TYPES.map((type) => {
    const entry = indicatorEntry(type);
    const params = Object.entries(entry.params).map(([key, def]) => {
      const range =
        def.kind === 'period'
          ? `integer 1..${MAX_PERIOD}`
          : `number${def.exclusiveMin === undefined ? '' : ` > ${def.exclusiveMin}`}${def.max === undefined ? '' : ` and ≤ ${def.max}`}`;
      const fallback = def.default !== undefined ? ` = ${def.default}` : def.optional ? ', optional' : '';
      return `${key}: ${range}${fallback}`;
    });
    if (entry.source) params.push(`source = ${DEFAULT_SOURCE}`);
    const outputs = entry.outputs.length === 1 ? 'one value' : entry.outputs.join(', ');
    return `${type}(${params.join(', ')}) → ${outputs}: ${entry.description}`;
  });
}
