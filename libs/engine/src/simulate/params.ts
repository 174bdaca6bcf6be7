import { EngineError } from '../errors';
import type { BacktestSettings, Calendar, Precision, StrategyDefinition } from '../types';

export const DEFAULT_FEE_RATE = 0.001;
export const DEFAULT_LATENCY_MS = 50;
export const DEFAULT_IMPACT_COEFFICIENT = 1;
export const DEFAULT_IMPACT_LOOKBACK_MS = 3_600_000;

export const SIZING_EQUITY_FRACTION = 0;
export const SIZING_FIXED_QUOTE = 1;
export const SIZING_FIXED_UNITS = 2;

/** Everything a simulator needs, resolved to plain numbers (fractions, not percent). */
export interface SimParams {
  readonly initialCapital: number;
  readonly feeRate: number;
  /** Slippage as a fraction of price (bps / 10,000); 0 in tick precision, where impact replaces it. */
  readonly slippage: number;
  readonly sizingKind: number;
  /** Fraction of equity, quote amount or units, by `sizingKind`. */
  readonly sizingValue: number;
  readonly wholeUnits: boolean;
  readonly allowShort: boolean;
  readonly reverseOnSignal: boolean;
  /** Fractions of the entry price; 0 = not set. */
  readonly stopLoss: number;
  readonly takeProfit: number;
  readonly trailingStop: number;
  /** 0 = not set. */
  readonly maxBarsInTrade: number;
  readonly latencyMs: number;
  readonly impactCoefficient: number;
  readonly impactLookbackMs: number;
}

function invalid(message: string): EngineError {
  return new EngineError('INVALID_SETTINGS', message);
}

function optionalNumber(value: unknown, name: string, fallback: number, ok: (x: number) => boolean, range: string) {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || !ok(value)) {
    throw invalid(`${name} must be ${range}, got ${JSON.stringify(value) ?? typeof value}`);
  }
  return value;
}

const PRECISIONS: readonly Precision[] = ['kline', 'hybrid', 'tick'];
const CALENDARS: readonly Calendar[] = ['crypto', 'equity'];

export function checkPrecision(precision: unknown): Precision {
  if (!PRECISIONS.includes(precision as Precision)) {
    throw invalid(`precision must be one of kline, hybrid, tick, got ${JSON.stringify(precision)}`);
  }
  return precision as Precision;
}

/** Validates the settings (INVALID_SETTINGS on the first problem) and returns the calendar in force. */
export function checkSettings(settings: BacktestSettings): Calendar {
  if (settings === null || typeof settings !== 'object') throw invalid('settings must be an object');
  optionalNumber(settings.initialCapital, 'settings.initialCapital', NaN, (x) => x > 0, 'a positive number');
  if (settings.initialCapital === undefined) throw invalid('settings.initialCapital is required');
  optionalNumber(settings.feeRate, 'settings.feeRate', 0, (x) => x >= 0 && x < 1, 'a number in [0, 1)');
  optionalNumber(settings.slippageBps, 'settings.slippageBps', 0, (x) => x >= 0 && x < 10_000, 'in [0, 10000)');
  optionalNumber(settings.periodsPerYear, 'settings.periodsPerYear', 1, (x) => x > 0, 'a positive number');
  const calendar = settings.calendar ?? 'crypto';
  if (!CALENDARS.includes(calendar)) throw invalid(`settings.calendar must be crypto or equity, got "${calendar}"`);
  const tick = settings.tick ?? {};
  if (tick === null || typeof tick !== 'object') throw invalid('settings.tick must be an object');
  optionalNumber(tick.latencyMs, 'settings.tick.latencyMs', 0, (x) => x >= 0, 'a non-negative number');
  optionalNumber(tick.impactCoefficient, 'settings.tick.impactCoefficient', 0, (x) => x >= 0, 'non-negative');
  optionalNumber(tick.impactLookbackMs, 'settings.tick.impactLookbackMs', 1, (x) => x > 0, 'a positive number');
  return calendar;
}

/** Resolves a validated definition and validated settings into simulator parameters. */
export function resolveParams(
  definition: StrategyDefinition,
  settings: BacktestSettings,
  precision: Precision,
): SimParams {
  const sizing = definition.sizing ?? { type: 'equityFraction', fraction: 1 };
  let sizingKind = SIZING_EQUITY_FRACTION;
  let sizingValue = 1;
  let wholeUnits = false;
  switch (sizing.type) {
    case 'equityFraction':
      sizingValue = sizing.fraction;
      wholeUnits = sizing.wholeUnits === true;
      break;
    case 'fixedQuote':
      sizingKind = SIZING_FIXED_QUOTE;
      sizingValue = sizing.amount;
      wholeUnits = sizing.wholeUnits === true;
      break;
    case 'fixedUnits':
      sizingKind = SIZING_FIXED_UNITS;
      sizingValue = sizing.units;
      break;
  }
  const risk = definition.risk ?? {};
  const tick = settings.tick ?? {};
  return {
    initialCapital: settings.initialCapital,
    feeRate: settings.feeRate ?? DEFAULT_FEE_RATE,
    slippage: precision === 'tick' ? 0 : (settings.slippageBps ?? 0) / 10_000,
    sizingKind,
    sizingValue,
    wholeUnits,
    allowShort: definition.allowShort === true,
    reverseOnSignal: definition.reverseOnSignal !== false,
    stopLoss: (risk.stopLossPct ?? 0) / 100,
    takeProfit: (risk.takeProfitPct ?? 0) / 100,
    trailingStop: (risk.trailingStopPct ?? 0) / 100,
    maxBarsInTrade: risk.maxBarsInTrade ?? 0,
    latencyMs: tick.latencyMs ?? DEFAULT_LATENCY_MS,
    impactCoefficient: tick.impactCoefficient ?? DEFAULT_IMPACT_COEFFICIENT,
    impactLookbackMs: tick.impactLookbackMs ?? DEFAULT_IMPACT_LOOKBACK_MS,
  };
}
