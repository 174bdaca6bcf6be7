import type { CandleSeries, PriceSource } from '../types';
import { donchian, highestInto, lowestInto } from './channels';
import { emaInto, smaInto, wmaInto } from './moving-averages';
import { macd, rocInto, rsiInto, stochastic } from './oscillators';
import { atr, bollingerBands } from './volatility';
import { vwap } from './volume';

/**
 * The strategy vocabulary's indicators, one entry each. The TypeScript types of a definition's
 * indicators, the validator's rules, the JSON Schema, the computation, the warm-up and the AI
 * assistant's vocabulary are all read from here: adding an indicator is one entry (and its tests).
 */

export const MAX_PERIOD = 10_000;

/**
 * One numeric parameter. `period`: an integer from 1 to MAX_PERIOD. `number`: a finite number
 * greater than `exclusiveMin` and at most `max`. With `default` the parameter may be omitted
 * (the validator fills it in); with `optional` it may be omitted and stays absent.
 */
export interface ParamDef {
  readonly kind: 'period' | 'number';
  readonly description?: string;
  readonly default?: number;
  readonly optional?: true;
  readonly exclusiveMin?: number;
  readonly max?: number;
}

/** The parameter values an entry computes with: defaults filled, an `optional` one possibly undefined. */
export type ParamValues<P extends Readonly<Record<string, ParamDef>>> = {
  readonly [K in keyof P]: P[K] extends { readonly optional: true } ? number | undefined : number;
};

/** What an indicator reads: the candles and, for indicators with `source: true`, the chosen price series. */
export interface IndicatorInput {
  readonly candles: CandleSeries;
  readonly source: Float64Array;
}

export interface IndicatorEntry<
  P extends Readonly<Record<string, ParamDef>> = Readonly<Record<string, ParamDef>>,
  O extends readonly string[] = readonly string[],
  S extends boolean = boolean,
> {
  /** One line, shown in the JSON Schema and to the AI assistant. */
  readonly description: string;
  /** In the order documents, errors and the schema list them. */
  readonly params: P;
  /** Whether the indicator reads one price series chosen by `source`. */
  readonly source: S;
  readonly outputs: O;
  /** Leading NaN bars on data without NaN: the index of the first bar where every output is defined. */
  readonly warmup: (p: ParamValues<P>) => number;
  readonly compute: (p: ParamValues<P>, input: IndicatorInput) => Record<O[number], Float64Array>;
  /** A rule between parameters, checked once each is valid: the offending key and why. */
  readonly check?: (p: ParamValues<P>) => { key: keyof P & string; message: string } | undefined;
}

function entry<
  const P extends Readonly<Record<string, ParamDef>>,
  const O extends readonly string[],
  const S extends boolean,
>(e: IndicatorEntry<P, O, S>): IndicatorEntry<P, O, S> {
  return e;
}

const bars = { period: { kind: 'period', description: 'Bars.' } } as const;
const VALUE = ['value'] as const;
const CHANNEL = ['upper', 'middle', 'lower'] as const;

export const INDICATORS = {
  sma: entry({
    description: 'Simple moving average.',
    params: bars,
    source: true,
    outputs: VALUE,
    warmup: (p) => p.period - 1,
    compute: (p, { source }) => ({ value: smaInto(source, p.period, new Float64Array(source.length)) }),
  }),
  ema: entry({
    description: 'Exponential moving average seeded with the SMA of the first period values.',
    params: { period: { kind: 'period', description: 'Bars; alpha = 2 / (period + 1).' } },
    source: true,
    outputs: VALUE,
    warmup: (p) => p.period - 1,
    compute: (p, { source }) => ({ value: emaInto(source, p.period, new Float64Array(source.length)) }),
  }),
  wma: entry({
    description: 'Linearly weighted moving average.',
    params: bars,
    source: true,
    outputs: VALUE,
    warmup: (p) => p.period - 1,
    compute: (p, { source }) => ({ value: wmaInto(source, p.period, new Float64Array(source.length)) }),
  }),
  rsi: entry({
    description: "Relative strength index with Wilder's smoothing (0..100).",
    params: bars,
    source: true,
    outputs: VALUE,
    warmup: (p) => p.period,
    compute: (p, { source }) => ({ value: rsiInto(source, p.period, new Float64Array(source.length)) }),
  }),
  macd: entry({
    description: 'MACD: outputs macd (EMA fast − EMA slow), signal (EMA of macd) and histogram (macd − signal).',
    params: {
      fast: { kind: 'period', description: 'Fast EMA period; less than slow.', default: 12 },
      slow: { kind: 'period', description: 'Slow EMA period.', default: 26 },
      signal: { kind: 'period', description: 'Signal EMA period.', default: 9 },
    },
    source: true,
    outputs: ['macd', 'signal', 'histogram'],
    warmup: (p) => Math.max(p.fast, p.slow) + p.signal - 2,
    compute: (p, { source }) => ({ ...macd(source, p.fast, p.slow, p.signal) }),
    check: (p) => (p.fast >= p.slow ? { key: 'fast', message: `must be less than slow (${p.slow})` } : undefined),
  }),
  bbands: entry({
    description: 'Bollinger Bands: outputs upper, middle (SMA) and lower, at stdDev population standard deviations.',
    params: {
      period: { kind: 'period', description: 'Bars.' },
      stdDev: { kind: 'number', exclusiveMin: 0, max: 100, default: 2 },
    },
    source: true,
    outputs: CHANNEL,
    warmup: (p) => p.period - 1,
    compute: (p, { source }) => ({ ...bollingerBands(source, p.period, p.stdDev) }),
  }),
  atr: entry({
    description: "Average true range with Wilder's smoothing.",
    params: bars,
    source: false,
    outputs: VALUE,
    warmup: (p) => p.period,
    compute: (p, { candles: c }) => ({ value: atr(c.high, c.low, c.close, p.period) }),
  }),
  stoch: entry({
    description: 'Stochastic oscillator: outputs k and d (0..100).',
    params: {
      period: { kind: 'period', description: 'Look-back bars of the highest high and lowest low.' },
      kSmoothing: { kind: 'period', description: 'SMA bars smoothing %K (1 = fast stochastic).', default: 1 },
      dPeriod: { kind: 'period', description: 'SMA bars of %D over %K.', default: 3 },
    },
    source: false,
    outputs: ['k', 'd'],
    warmup: (p) => p.period + p.kSmoothing + p.dPeriod - 3,
    compute: (p, { candles: c }) => ({ ...stochastic(c.high, c.low, c.close, p.period, p.kSmoothing, p.dPeriod) }),
  }),
  roc: entry({
    description: 'Rate of change in percent over period bars.',
    params: bars,
    source: true,
    outputs: VALUE,
    warmup: (p) => p.period,
    compute: (p, { source }) => ({ value: rocInto(source, p.period, new Float64Array(source.length)) }),
  }),
  highest: entry({
    description: 'Highest value of the last period bars, current bar included.',
    params: bars,
    source: true,
    outputs: VALUE,
    warmup: (p) => p.period - 1,
    compute: (p, { source }) => ({ value: highestInto(source, p.period, new Float64Array(source.length)) }),
  }),
  lowest: entry({
    description: 'Lowest value of the last period bars, current bar included.',
    params: bars,
    source: true,
    outputs: VALUE,
    warmup: (p) => p.period - 1,
    compute: (p, { source }) => ({ value: lowestInto(source, p.period, new Float64Array(source.length)) }),
  }),
  donchian: entry({
    description: 'Donchian channel: outputs upper (highest high), lower (lowest low) and middle, current bar included.',
    params: bars,
    source: false,
    outputs: CHANNEL,
    warmup: (p) => p.period - 1,
    compute: (p, { candles: c }) => ({ ...donchian(c.high, c.low, p.period) }),
  }),
  vwap: entry({
    description:
      'Volume-weighted average typical price: over the last period bars, or cumulative from the first bar without period.',
    params: { period: { kind: 'period', description: 'Bars; omit for a cumulative VWAP.', optional: true } },
    source: false,
    outputs: VALUE,
    warmup: (p) => (p.period === undefined ? 0 : p.period - 1),
    compute: (p, { candles: c }) => ({ value: vwap(c.high, c.low, c.close, c.volume, p.period) }),
  }),
};

export type IndicatorType = keyof typeof INDICATORS;

type Registry = typeof INDICATORS;
type ParamsOf<T extends IndicatorType> = Registry[T]['params'];
type RequiredKeys<P> = {
  [K in keyof P]: P[K] extends { readonly default: number } | { readonly optional: true } ? never : K;
}[keyof P];
type OptionalKeys<P> = Exclude<keyof P, RequiredKeys<P>>;
type Flatten<T> = { [K in keyof T]: T[K] };

/** One indicator of a definition, as its registry entry describes it; `N` is what may stand where a number goes. */
export type SpecOf<T extends IndicatorType, N = number> = Flatten<
  { type: T } & { [K in RequiredKeys<ParamsOf<T>>]: N } & {
    [K in OptionalKeys<ParamsOf<T>>]?: N;
  } & (Registry[T]['source'] extends true ? { source?: PriceSource } : unknown)
>;

/** Any entry, with its parameter and output names widened: how generic code (validator, schema) walks the registry. */
export function indicatorEntry(type: IndicatorType): IndicatorEntry {
  return INDICATORS[type] as unknown as IndicatorEntry;
}
