import { INDICATOR_DEFAULTS, MAX_PERIOD, PRICE_SOURCES } from '../indicators';
import {
  COMPARISON_OPS,
  INDICATOR_NAME_PATTERN,
  MAX_CONDITIONS,
  MAX_CONDITION_DEPTH,
  MAX_INDICATORS,
} from './vocabulary';

const ref = (name: string) => ({ $ref: `#/$defs/${name}` });

const period = (description: string) => ({ ...ref('period'), description });
const optionalPeriod = (description: string, defaultValue: number) => ({
  ...ref('period'),
  description,
  default: defaultValue,
});
const source = { ...ref('source'), default: INDICATOR_DEFAULTS.source };

function indicator(types: string[], description: string, properties: Record<string, unknown>, required: string[]) {
  return {
    type: 'object',
    description,
    additionalProperties: false,
    required: ['type', ...required],
    properties: { type: types.length === 1 ? { const: types[0] } : { enum: types }, ...properties },
  };
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

const percent = (description: string) => ({ type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 100, description });

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
 * rules only with `allowShort`, MACD fast < slow, nesting and size limits) are enforced by
 * `validateStrategy`, which is authoritative.
 */
export const strategyJsonSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'urn:quant-backend:strategy-definition:1',
  title: 'Strategy definition',
  description:
    'Named indicators and entry/exit rules evaluated on each bar close; orders fill at the next bar open. ' +
    'Operands are numbers, price fields (open, high, low, close, volume, hl2, hlc3, ohlc4), an indicator name, ' +
    'or "name.output" for indicators with several outputs (macd: macd/signal/histogram; bbands and donchian: ' +
    'upper/middle/lower; stoch: k/d). Comparisons involving a value that is not yet defined (indicator warm-up) are false.',
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
  },
  $defs: {
    period: { type: 'integer', minimum: 1, maximum: MAX_PERIOD },
    source: { enum: [...PRICE_SOURCES], description: 'Price series the indicator reads.' },
    indicator: {
      oneOf: [
        indicator(['sma'], 'Simple moving average.', { period: period('Bars.'), source }, ['period']),
        indicator(
          ['ema'],
          'Exponential moving average seeded with the SMA of the first period values.',
          {
            period: period('Bars; alpha = 2 / (period + 1).'),
            source,
          },
          ['period'],
        ),
        indicator(['wma'], 'Linearly weighted moving average.', { period: period('Bars.'), source }, ['period']),
        indicator(
          ['rsi'],
          "Relative strength index with Wilder's smoothing (0..100).",
          { period: period('Bars.'), source },
          ['period'],
        ),
        indicator(['roc'], 'Rate of change in percent over period bars.', { period: period('Bars.'), source }, [
          'period',
        ]),
        indicator(
          ['highest'],
          'Highest value of the last period bars, current bar included.',
          {
            period: period('Bars.'),
            source,
          },
          ['period'],
        ),
        indicator(
          ['lowest'],
          'Lowest value of the last period bars, current bar included.',
          {
            period: period('Bars.'),
            source,
          },
          ['period'],
        ),
        indicator(
          ['macd'],
          'MACD: outputs macd (EMA fast − EMA slow), signal (EMA of macd) and histogram (macd − signal).',
          {
            fast: optionalPeriod('Fast EMA period; less than slow.', INDICATOR_DEFAULTS.macd.fast),
            slow: optionalPeriod('Slow EMA period.', INDICATOR_DEFAULTS.macd.slow),
            signal: optionalPeriod('Signal EMA period.', INDICATOR_DEFAULTS.macd.signal),
            source,
          },
          [],
        ),
        indicator(
          ['bbands'],
          'Bollinger Bands: outputs upper, middle (SMA) and lower, at stdDev population standard deviations.',
          {
            period: period('Bars.'),
            stdDev: { type: 'number', exclusiveMinimum: 0, maximum: 100, default: INDICATOR_DEFAULTS.bbandsStdDev },
            source,
          },
          ['period'],
        ),
        indicator(['atr'], "Average true range with Wilder's smoothing.", { period: period('Bars.') }, ['period']),
        indicator(
          ['stoch'],
          'Stochastic oscillator: outputs k and d (0..100).',
          {
            period: period('Look-back bars of the highest high and lowest low.'),
            kSmoothing: optionalPeriod(
              'SMA bars smoothing %K (1 = fast stochastic).',
              INDICATOR_DEFAULTS.stochKSmoothing,
            ),
            dPeriod: optionalPeriod('SMA bars of %D over %K.', INDICATOR_DEFAULTS.stochDPeriod),
          },
          ['period'],
        ),
        indicator(
          ['donchian'],
          'Donchian channel: outputs upper (highest high), lower (lowest low) and middle, current bar included.',
          { period: period('Bars.') },
          ['period'],
        ),
        indicator(
          ['vwap'],
          'Volume-weighted average typical price: over the last period bars, or cumulative from the first bar without period.',
          { period: period('Bars; omit for a cumulative VWAP.') },
          [],
        ),
      ],
    },
    operand: {
      oneOf: [
        { type: 'number', description: 'A constant.' },
        {
          type: 'string',
          description: 'A price field, an indicator name or "indicator.output".',
          pattern: '^[A-Za-z_][A-Za-z0-9_]{0,63}(\\.[A-Za-z]+)?$',
        },
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
        maxBarsInTrade: { type: 'integer', minimum: 1, description: 'Close the position after this many bars.' },
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
            fraction: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
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
            amount: { type: 'number', exclusiveMinimum: 0 },
            wholeUnits: { type: 'boolean', default: false },
          },
        },
        {
          type: 'object',
          description: 'Trade a fixed number of units on each entry.',
          additionalProperties: false,
          required: ['type', 'units'],
          properties: { type: { const: 'fixedUnits' }, units: { type: 'number', exclusiveMinimum: 0 } },
        },
      ],
    },
  },
} as const;
