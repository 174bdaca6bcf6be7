import { EngineError } from '../errors';
import type { BacktestSettings, Calendar, FeeModel, FillModel, Precision, StrategyDefinition } from '../types';

export const DEFAULT_FEE_RATE = 0.001;
export const DEFAULT_LATENCY_MS = 50;
export const DEFAULT_IMPACT_COEFFICIENT = 1;
export const DEFAULT_IMPACT_LOOKBACK_MS = 3_600_000;

export const SIZING_EQUITY_FRACTION = 0;
export const SIZING_FIXED_QUOTE = 1;
export const SIZING_FIXED_UNITS = 2;

/**
 * Everything a simulator needs, resolved to plain numbers (fractions, not percent): the fee and
 * fill models are resolved once here, so the loops run one code path for every model.
 */
export interface SimParams {
  readonly initialCapital: number;
  /** Fee rate of fills that take liquidity (all but take-profits); it also sizes positions. */
  readonly feeRate: number;
  /** Fee rate of take-profit fills (resting limit orders); `feeRate` under a flat model. */
  readonly makerFeeRate: number;
  /** Slippage as a fraction of price (bps / 10,000); 0 in tick precision, where impact replaces it. */
  readonly slippage: number;
  /** Slippage as a fixed price amount, on top of `slippage`; 0 in tick precision. */
  readonly slippageFixed: number;
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
  checkModels(settings);
  const tick = settings.tick ?? {};
  if (tick === null || typeof tick !== 'object') throw invalid('settings.tick must be an object');
  optionalNumber(tick.latencyMs, 'settings.tick.latencyMs', 0, (x) => x >= 0, 'a non-negative number');
  optionalNumber(tick.impactCoefficient, 'settings.tick.impactCoefficient', 0, (x) => x >= 0, 'non-negative');
  optionalNumber(tick.impactLookbackMs, 'settings.tick.impactLookbackMs', 1, (x) => x > 0, 'a positive number');
  return calendar;
}

const RATE = (x: number) => x > -1 && x < 1;

function checkModels(settings: BacktestSettings): void {
  const fees = settings.fees as FeeModel | undefined | null;
  if (fees !== undefined) {
    if (fees === null || typeof fees !== 'object') throw invalid('settings.fees must be an object');
    if (settings.feeRate !== undefined) throw invalid('settings.feeRate and settings.fees exclude each other');
    if (fees.type === 'flat') {
      optionalNumber(fees.rate, 'settings.fees.rate', NaN, (x) => x >= 0 && x < 1, 'a number in [0, 1)');
      if (fees.rate === undefined) throw invalid('settings.fees.rate is required');
    } else if (fees.type === 'makerTaker') {
      optionalNumber(fees.makerRate, 'settings.fees.makerRate', NaN, RATE, 'a number in (-1, 1)');
      optionalNumber(fees.takerRate, 'settings.fees.takerRate', NaN, (x) => x >= 0 && x < 1, 'a number in [0, 1)');
      if (fees.makerRate === undefined || fees.takerRate === undefined) {
        throw invalid('settings.fees needs makerRate and takerRate');
      }
    } else {
      throw invalid(
        `settings.fees.type must be flat or makerTaker, got ${JSON.stringify((fees as { type?: unknown }).type)}`,
      );
    }
  }
  const fill = settings.fill as FillModel | undefined | null;
  if (fill !== undefined) {
    if (fill === null || typeof fill !== 'object') throw invalid('settings.fill must be an object');
    if (settings.slippageBps !== undefined) throw invalid('settings.slippageBps and settings.fill exclude each other');
    if (fill.type !== 'bps' && fill.type !== 'fixedPlusBps') {
      throw invalid(
        `settings.fill.type must be bps or fixedPlusBps, got ${JSON.stringify((fill as { type?: unknown }).type)}`,
      );
    }
    optionalNumber(fill.bps, 'settings.fill.bps', NaN, (x) => x >= 0 && x < 10_000, 'in [0, 10000)');
    if (fill.bps === undefined) throw invalid('settings.fill.bps is required');
    if (fill.type === 'fixedPlusBps') {
      optionalNumber(fill.fixed, 'settings.fill.fixed', NaN, (x) => x >= 0, 'a non-negative number');
      if (fill.fixed === undefined) throw invalid('settings.fill.fixed is required');
    }
  }
}

/**
 * The fee model in force: `settings.fees`, else flat at `feeRate` (default DEFAULT_FEE_RATE).
 * A maker/taker model with equal rates is the flat one.
 */
export function resolveFeeModel(settings: BacktestSettings): FeeModel {
  const fees = settings.fees;
  if (fees?.type === 'makerTaker' && fees.makerRate !== fees.takerRate) return fees;
  const rate =
    fees === undefined ? (settings.feeRate ?? DEFAULT_FEE_RATE) : fees.type === 'flat' ? fees.rate : fees.takerRate;
  return { type: 'flat', rate };
}

/** The fill model in force: `settings.fill`, else bps at `slippageBps`; a fixed part of 0 is plain bps. None in tick. */
export function resolveFillModel(settings: BacktestSettings, precision: Precision): FillModel {
  const fill = settings.fill;
  if (precision === 'tick') return { type: 'bps', bps: 0 };
  if (fill?.type === 'fixedPlusBps' && fill.fixed > 0)
    return { type: 'fixedPlusBps', fixed: fill.fixed, bps: fill.bps };
  return { type: 'bps', bps: fill === undefined ? (settings.slippageBps ?? 0) : fill.bps };
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
  const fees = resolveFeeModel(settings);
  const fill = resolveFillModel(settings, precision);
  return {
    initialCapital: settings.initialCapital,
    feeRate: fees.type === 'flat' ? fees.rate : fees.takerRate,
    makerFeeRate: fees.type === 'flat' ? fees.rate : fees.makerRate,
    slippage: fill.bps / 10_000,
    slippageFixed: fill.type === 'fixedPlusBps' ? fill.fixed : 0,
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
