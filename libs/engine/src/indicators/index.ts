import { EngineError } from '../errors';
import type { CandleSeries, IndicatorSpec, IndicatorType, PriceSource } from '../types';
import { donchian, highestInto, lowestInto } from './channels';
import { emaInto, smaInto, wmaInto } from './moving-averages';
import { macd, rocInto, rsiInto, stochastic } from './oscillators';
import { priceSource } from './sources';
import { atr, bollingerBands } from './volatility';
import { vwap } from './volume';

export { PRICE_SOURCES, isPriceSource, priceSource } from './sources';

export const INDICATOR_TYPES: readonly IndicatorType[] = Object.freeze([
  'sma',
  'ema',
  'wma',
  'rsi',
  'macd',
  'bbands',
  'atr',
  'stoch',
  'roc',
  'highest',
  'lowest',
  'donchian',
  'vwap',
] as const);

export const MAX_PERIOD = 10_000;

export const INDICATOR_DEFAULTS = Object.freeze({
  source: 'close',
  macd: Object.freeze({ fast: 12, slow: 26, signal: 9 }),
  bbandsStdDev: 2,
  stochKSmoothing: 1,
  stochDPeriod: 3,
} as const);

const VALUE: readonly string[] = Object.freeze(['value']);
const CHANNEL: readonly string[] = Object.freeze(['upper', 'middle', 'lower']);

const OUTPUTS: Readonly<Record<IndicatorType, readonly string[]>> = Object.freeze({
  sma: VALUE,
  ema: VALUE,
  wma: VALUE,
  rsi: VALUE,
  macd: Object.freeze(['macd', 'signal', 'histogram']),
  bbands: CHANNEL,
  atr: VALUE,
  stoch: Object.freeze(['k', 'd']),
  roc: VALUE,
  highest: VALUE,
  lowest: VALUE,
  donchian: CHANNEL,
  vwap: VALUE,
});

export function isIndicatorType(value: string): value is IndicatorType {
  return Object.hasOwn(OUTPUTS, value);
}

/** Output names of an indicator type; `['value']` for single-output indicators. */
export function indicatorOutputs(type: IndicatorType): readonly string[] {
  return OUTPUTS[type];
}

/**
 * Index of the first bar at which every output of the indicator is defined (on data without
 * NaN), i.e. the number of leading NaN bars.
 */
export function warmupBars(spec: IndicatorSpec): number {
  switch (spec.type) {
    case 'sma':
    case 'ema':
    case 'wma':
    case 'highest':
    case 'lowest':
    case 'bbands':
    case 'donchian':
      return spec.period - 1;
    case 'rsi':
    case 'roc':
    case 'atr':
      return spec.period;
    case 'macd': {
      const { fast, slow, signal } = macdPeriods(spec);
      return Math.max(fast, slow) + signal - 2;
    }
    case 'stoch':
      return spec.period + (spec.kSmoothing ?? INDICATOR_DEFAULTS.stochKSmoothing) + stochD(spec) - 3;
    case 'vwap':
      return spec.period === undefined ? 0 : spec.period - 1;
  }
}

/**
 * Computes every output of one indicator over the whole series. Values are NaN until the
 * indicator has warmed up and wherever an input it depends on is NaN; the value at bar i depends
 * only on bars 0..i. Omitted parameters take the validator's defaults; a period outside
 * 1..MAX_PERIOD throws EngineError INVALID_STRATEGY.
 */
export function computeIndicator(spec: IndicatorSpec, candles: CandleSeries): Record<string, Float64Array> {
  const n = candles.close.length;
  switch (spec.type) {
    case 'sma':
      return { value: smaInto(source(spec, candles), checkPeriod(spec.period), new Float64Array(n)) };
    case 'ema':
      return { value: emaInto(source(spec, candles), checkPeriod(spec.period), new Float64Array(n)) };
    case 'wma':
      return { value: wmaInto(source(spec, candles), checkPeriod(spec.period), new Float64Array(n)) };
    case 'rsi':
      return { value: rsiInto(source(spec, candles), checkPeriod(spec.period), new Float64Array(n)) };
    case 'roc':
      return { value: rocInto(source(spec, candles), checkPeriod(spec.period), new Float64Array(n)) };
    case 'highest':
      return { value: highestInto(source(spec, candles), checkPeriod(spec.period), new Float64Array(n)) };
    case 'lowest':
      return { value: lowestInto(source(spec, candles), checkPeriod(spec.period), new Float64Array(n)) };
    case 'macd': {
      const { fast, slow, signal } = macdPeriods(spec);
      return { ...macd(source(spec, candles), checkPeriod(fast), checkPeriod(slow), checkPeriod(signal)) };
    }
    case 'bbands': {
      const stdDev = spec.stdDev ?? INDICATOR_DEFAULTS.bbandsStdDev;
      if (!Number.isFinite(stdDev)) {
        throw new EngineError('INVALID_STRATEGY', `bbands stdDev must be finite, got ${stdDev}`);
      }
      return { ...bollingerBands(source(spec, candles), checkPeriod(spec.period), stdDev) };
    }
    case 'atr':
      return { value: atr(candles.high, candles.low, candles.close, checkPeriod(spec.period)) };
    case 'stoch': {
      const kSmoothing = checkPeriod(spec.kSmoothing ?? INDICATOR_DEFAULTS.stochKSmoothing);
      const d = checkPeriod(stochD(spec));
      return { ...stochastic(candles.high, candles.low, candles.close, checkPeriod(spec.period), kSmoothing, d) };
    }
    case 'donchian':
      return { ...donchian(candles.high, candles.low, checkPeriod(spec.period)) };
    case 'vwap': {
      const period = spec.period === undefined ? undefined : checkPeriod(spec.period);
      return { value: vwap(candles.high, candles.low, candles.close, candles.volume, period) };
    }
  }
}

function source(spec: { source?: PriceSource }, candles: CandleSeries): Float64Array {
  return priceSource(candles, spec.source ?? INDICATOR_DEFAULTS.source);
}

function macdPeriods(spec: Extract<IndicatorSpec, { type: 'macd' }>) {
  const d = INDICATOR_DEFAULTS.macd;
  return { fast: spec.fast ?? d.fast, slow: spec.slow ?? d.slow, signal: spec.signal ?? d.signal };
}

function stochD(spec: Extract<IndicatorSpec, { type: 'stoch' }>): number {
  return spec.dPeriod ?? INDICATOR_DEFAULTS.stochDPeriod;
}

function checkPeriod(period: number): number {
  if (!Number.isInteger(period) || period < 1 || period > MAX_PERIOD) {
    throw new EngineError(
      'INVALID_STRATEGY',
      `indicator periods must be integers from 1 to ${MAX_PERIOD}, got ${period}`,
    );
  }
  return period;
}
