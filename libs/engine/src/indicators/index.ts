import { EngineError } from '../errors';
import type { CandleSeries, IndicatorSpec, IndicatorType, PriceSource } from '../types';
import { INDICATORS, MAX_PERIOD, indicatorEntry, type ParamDef } from './registry';
import { priceSource } from './sources';

export { PRICE_SOURCES, isPriceSource, priceSource } from './sources';
export { INDICATORS, MAX_PERIOD, indicatorEntry, type IndicatorEntry, type ParamDef } from './registry';

export const INDICATOR_TYPES: readonly IndicatorType[] = Object.freeze(Object.keys(INDICATORS) as IndicatorType[]);

export const DEFAULT_SOURCE: PriceSource = 'close';

export function isIndicatorType(value: string): value is IndicatorType {
  return Object.hasOwn(INDICATORS, value);
}

/** Output names of an indicator type; `['value']` for single-output indicators. */
export function indicatorOutputs(type: IndicatorType): readonly string[] {
  return indicatorEntry(type).outputs;
}

/**
 * Index of the first bar at which every output of the indicator is defined (on data without
 * NaN), i.e. the number of leading NaN bars.
 */
export function warmupBars(spec: IndicatorSpec): number {
  const entry = indicatorEntry(spec.type);
  return entry.warmup(withDefaults(spec, entry.params));
}

/**
 * Computes every output of one indicator over the whole series. Values are NaN until the
 * indicator has warmed up and wherever an input it depends on is NaN; the value at bar i depends
 * only on bars 0..i. Omitted parameters take the validator's defaults; a period outside
 * 1..MAX_PERIOD throws EngineError INVALID_STRATEGY.
 */
export function computeIndicator(spec: IndicatorSpec, candles: CandleSeries): Record<string, Float64Array> {
  const entry = indicatorEntry(spec.type);
  const source = entry.source
    ? priceSource(candles, (spec as { source?: PriceSource }).source ?? DEFAULT_SOURCE)
    : candles.close;
  const values = withDefaults(spec, entry.params);
  for (const [key, def] of Object.entries(entry.params)) {
    const value = values[key];
    if (value === undefined) continue;
    if (def.kind === 'period') checkPeriod(value);
    else if (!Number.isFinite(value)) {
      throw new EngineError('INVALID_STRATEGY', `${spec.type} ${key} must be finite, got ${value}`);
    }
  }
  return entry.compute(values, { candles, source });
}

function withDefaults(spec: IndicatorSpec, params: Readonly<Record<string, ParamDef>>) {
  const raw = spec as unknown as Record<string, number | undefined>;
  const values: Record<string, number | undefined> = {};
  for (const [key, def] of Object.entries(params)) values[key] = raw[key] ?? def.default;
  // Every key without a default is required by the validator, or `optional` and allowed to stay undefined.
  return values as Record<string, number>;
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
