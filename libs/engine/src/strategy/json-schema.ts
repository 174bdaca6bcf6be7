import {
  DEFAULT_SOURCE,
  INDICATOR_TYPES,
  MAX_PERIOD,
  PRICE_SOURCES,
  indicatorEntry,
  type IndicatorEntry,
  type ParamDef,
} from '../indicators';
import type { IndicatorType } from '../types';
import { CONSTRAINT_OPS } from './param-values';
import { MAX_CONSTRAINTS, MAX_PARAMS } from './validate';
import {
  COMPARISON_OPS,
  INDICATOR_NAME_PATTERN,
  MAX_CONDITIONS,
  MAX_CONDITION_DEPTH,
  MAX_INDICATORS,
} from './vocabulary';

const ref = (name: string) => ({ $ref: `#/$defs/${name}` });

function param(def: ParamDef): Record<string, unknown> {
  const annotations = {
    ...(def.description === undefined ? {} : { description: def.description }),
    ...(def.default === undefined ? {} : { default: def.default }),
  };
  if (def.kind === 'period') return { ...ref('period'), ...annotations };
  return orParam(
    {
      type: 'number',
      ...(def.exclusiveMin === undefined ? {} : { exclusiveMinimum: def.exclusiveMin }),
      ...(def.max === undefined ? {} : { maximum: def.max }),
    },
    annotations,
  );
}

function indicator(type: IndicatorType, entry: IndicatorEntry) {
  const params = Object.entries(entry.params);
  return {
    type: 'object',
    description: entry.description,
    additionalProperties: false,
    required: ['type', ...params.filter(([, def]) => def.default === undefined && !def.optional).map(([key]) => key)],
    properties: {
      type: { const: type },
      ...Object.fromEntries(params.map(([key, def]) => [key, param(def)])),
      ...(entry.source ? { source: { ...ref('source'), default: DEFAULT_SOURCE } } : {}),
    },
  };
}

/**
 * The order in which the published schema has always listed the indicators (clients diff it);
 * indicators added since follow in registry order.
 */
const PUBLISHED_ORDER = [
  'sma',
  'ema',
  'wma',
  'rsi',
  'roc',
  'highest',
  'lowest',
  'macd',
  'bbands',
  'atr',
  'stoch',
  'donchian',
  'vwap',
];
const rank = (type: string) => {
  const i = PUBLISHED_ORDER.indexOf(type);
  return i < 0 ? PUBLISHED_ORDER.length + INDICATOR_TYPES.indexOf(type as IndicatorType) : i;
};

/** "macd: macd/signal/histogram; bbands and donchian: upper/middle/lower; stoch: k/d" from the registry. */
function multiOutputSummary(): string {
  const groups = new Map<string, string[]>();
  for (const type of INDICATOR_TYPES) {
    const outputs = indicatorEntry(type).outputs;
    if (outputs.length < 2) continue;
    const key = outputs.join('/');
    groups.set(key, [...(groups.get(key) ?? []), type]);
  }
  return [...groups].map(([outputs, types]) => `${listed(types)}: ${outputs}`).join('; ');
}

function listed(items: string[]): string {
  return items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

function comparison(op: string, description: string) {
  return {
    type: 'object',
    description,
    additionalProperties: false,
    required: [op],
    properties: { [op]: ref('operands') },
  };
}

/** A number slot: the number itself or a reference to a declared param. */
function orParam(schema: Record<string, unknown>, annotations: Record<string, unknown> = {}) {
  return { oneOf: [schema, ref('paramRef')], ...annotations };
}

const percent = (description: string) =>
  orParam({ type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 100 }, { description });

const numberParam = (type: 'int' | 'decimal', description: string) => ({
  type: 'object',
  description,
  additionalProperties: false,
  required: ['type', 'default', 'min', 'max'],
  properties: {
    type: { const: type },
    default: { type: type === 'int' ? 'integer' : 'number', description: 'The value a backtest runs with.' },
    min: { type: type === 'int' ? 'integer' : 'number' },
    max: { type: type === 'int' ? 'integer' : 'number', description: 'At least min.' },
    step: {
      type: type === 'int' ? 'integer' : 'number',
      exclusiveMinimum: 0,
      description:
        type === 'int'
          ? 'Grid spacing from min (default 1); the default lies on the grid.'
          : 'Grid spacing from min; without it the range is continuous. The default lies on the grid.',
    },
    description: { type: 'string' },
  },
});

const COMPARISON_DESCRIPTIONS: Record<string, string> = {
  gt: 'a > b on the bar',
  gte: 'a >= b on the bar',
  lt: 'a < b on the bar',
  lte: 'a <= b on the bar',
  crossAbove: 'a was below b on the previous bar and is above it on this bar',
  crossBelow: 'a was above b on the previous bar and is below it on this bar',
};

/**
 * JSON Schema (draft 2020-12) of a strategy definition, version 1. It describes the shape;
 * rules a schema cannot express (references to declared indicators and their outputs, short
 * rules only with `allowShort`, MACD fast < slow, nesting and size limits, params declared before
 * they are referenced and whose whole range fits each slot, constraints met by the defaults) are
 * enforced by `validateStrategy`, which is authoritative.
 */
export const strategyJsonSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'urn:quant-backend:strategy-definition:1',
  title: 'Strategy definition',
  description:
    'Named indicators and entry/exit rules evaluated on each bar close; orders fill at the next bar open. ' +
    `Operands are numbers, price fields (${PRICE_SOURCES.join(', ')}), an indicator name, ` +
    `or "name.output" for indicators with several outputs (${multiOutputSummary()}). ` +
    'Comparisons involving a value that is not yet defined (indicator warm-up) are false. ' +
    'Wherever a number goes (indicator parameters, operands, risk levels, sizing), {"param": name} may stand for ' +
    'one of the declared params; the definition runs with their defaults unless an optimiser binds other values.',
  type: 'object',
  additionalProperties: false,
  required: ['version', 'indicators', 'entry'],
  properties: {
    version: { const: 1 },
    indicators: {
      type: 'object',
      description: 'Indicators by name; names are referenced from the rules.',
      maxProperties: MAX_INDICATORS,
      propertyNames: {
        pattern: INDICATOR_NAME_PATTERN.source,
        not: { enum: [...PRICE_SOURCES, '__proto__'] },
      },
      additionalProperties: ref('indicator'),
    },
    entry: {
      ...ref('sideRules'),
      minProperties: 1,
      description: 'Rules that open a position; at least one of long and short.',
    },
    exit: { ...ref('sideRules'), description: 'Rules that close a position.' },
    risk: ref('risk'),
    sizing: ref('sizing'),
    allowShort: { type: 'boolean', default: false, description: 'Short rules are allowed only when true.' },
    reverseOnSignal: {
      type: 'boolean',
      default: true,
      description: 'An opposite entry signal closes the position and opens the other side at the same fill.',
    },
    params: {
      type: 'object',
      description: 'Tunable numbers by name, each with a default and a search range; referenced as {"param": name}.',
      maxProperties: MAX_PARAMS,
      propertyNames: { pattern: INDICATOR_NAME_PATTERN.source, not: { enum: ['__proto__'] } },
      additionalProperties: ref('param'),
    },
    constraints: {
      type: 'array',
      description: `Rules the param values must meet, e.g. {"lt": [{"param": "fast"}, {"param": "slow"}]}; the defaults must meet them. At most ${MAX_CONSTRAINTS}.`,
      items: ref('constraint'),
    },
  },
  $defs: {
    period: orParam({ type: 'integer', minimum: 1, maximum: MAX_PERIOD }),
    paramRef: {
      type: 'object',
      description: 'A declared param standing for a number; every value in its range must fit where it stands.',
      additionalProperties: false,
      required: ['param'],
      properties: { param: { type: 'string', pattern: INDICATOR_NAME_PATTERN.source } },
    },
    param: {
      oneOf: [
        numberParam('int', 'An integer from min to max.'),
        numberParam('decimal', 'A decimal number from min to max.'),
        {
          type: 'object',
          description: 'One of the listed numbers.',
          additionalProperties: false,
          required: ['type', 'default', 'values'],
          properties: {
            type: { const: 'choice' },
            default: { type: 'number', description: 'One of the values; the value a backtest runs with.' },
            values: { type: 'array', minItems: 1, items: { type: 'number' } },
            description: { type: 'string' },
          },
        },
      ],
    },
    constraint: {
      oneOf: CONSTRAINT_OPS.map((op) => ({
        type: 'object',
        description: `a ${{ lt: '<', lte: '<=', gt: '>', gte: '>=' }[op]} b`,
        additionalProperties: false,
        required: [op],
        properties: {
          [op]: {
            type: 'array',
            prefixItems: [orParam({ type: 'number' }), orParam({ type: 'number' })],
            items: false,
            minItems: 2,
          },
        },
      })),
    },
    source: { enum: [...PRICE_SOURCES], description: 'Price series the indicator reads.' },
    indicator: {
      oneOf: [...INDICATOR_TYPES]
        .sort((a, b) => rank(a) - rank(b))
        .map((type) => indicator(type, indicatorEntry(type))),
    },
    operand: {
      oneOf: [
        { type: 'number', description: 'A constant.' },
        {
          type: 'string',
          description: 'A price field, an indicator name or "indicator.output".',
          pattern: '^[A-Za-z_][A-Za-z0-9_]{0,63}(\\.[A-Za-z]+)?$',
        },
        ref('paramRef'),
      ],
    },
    operands: { type: 'array', prefixItems: [ref('operand'), ref('operand')], items: false, minItems: 2 },
    condition: {
      description: `One operator per object; at most ${MAX_CONDITION_DEPTH} levels deep and ${MAX_CONDITIONS} conditions in all.`,
      oneOf: [
        {
          type: 'object',
          description: 'All conditions hold.',
          additionalProperties: false,
          required: ['all'],
          properties: { all: { type: 'array', minItems: 1, items: ref('condition') } },
        },
        {
          type: 'object',
          description: 'At least one condition holds.',
          additionalProperties: false,
          required: ['any'],
          properties: { any: { type: 'array', minItems: 1, items: ref('condition') } },
        },
        {
          type: 'object',
          description: 'The condition does not hold (and is defined).',
          additionalProperties: false,
          required: ['not'],
          properties: { not: ref('condition') },
        },
        ...COMPARISON_OPS.map((op) => comparison(op, COMPARISON_DESCRIPTIONS[op])),
      ],
    },
    sideRules: {
      type: 'object',
      additionalProperties: false,
      properties: { long: ref('condition'), short: ref('condition') },
    },
    risk: {
      type: 'object',
      additionalProperties: false,
      properties: {
        stopLossPct: percent('Stop-loss distance from the entry price, in percent.'),
        takeProfitPct: percent('Take-profit distance from the entry price, in percent.'),
        trailingStopPct: percent('Trailing-stop distance from the best price since entry, in percent.'),
        maxBarsInTrade: orParam(
          { type: 'integer', minimum: 1 },
          { description: 'Close the position after this many bars.' },
        ),
      },
    },
    sizing: {
      default: { type: 'equityFraction', fraction: 1, wholeUnits: false },
      oneOf: [
        {
          type: 'object',
          description: 'Spend a fraction of equity on each entry.',
          additionalProperties: false,
          required: ['type', 'fraction'],
          properties: {
            type: { const: 'equityFraction' },
            fraction: orParam({ type: 'number', exclusiveMinimum: 0, maximum: 1 }),
            wholeUnits: { type: 'boolean', default: false },
          },
        },
        {
          type: 'object',
          description: 'Spend a fixed amount of the quote currency on each entry.',
          additionalProperties: false,
          required: ['type', 'amount'],
          properties: {
            type: { const: 'fixedQuote' },
            amount: orParam({ type: 'number', exclusiveMinimum: 0 }),
            wholeUnits: { type: 'boolean', default: false },
          },
        },
        {
          type: 'object',
          description: 'Trade a fixed number of units on each entry.',
          additionalProperties: false,
          required: ['type', 'units'],
          properties: {
            type: { const: 'fixedUnits' },
            units: orParam({ type: 'number', exclusiveMinimum: 0 }),
          },
        },
      ],
    },
  },
} as const;
