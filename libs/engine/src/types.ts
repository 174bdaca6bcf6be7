/**
 * Public contracts of the backtest engine. Everything the rest of the product
 * (API, worker, CLI, AI assistant) knows about the engine is in this file and in
 * the functions exported from `index.ts`.
 */

import type { IndicatorType, SpecOf } from './indicators/registry';

// ---------------------------------------------------------------------------
// Market data in the engine's shape: one typed array per field, ascending time.
// ---------------------------------------------------------------------------

/** Candles; `time` is each bar's open time in epoch milliseconds. */
export interface CandleSeries {
  readonly time: Float64Array;
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
  readonly volume: Float64Array;
  /** Bar length in milliseconds (e.g. 60_000 for 1m). */
  readonly timeframeMs: number;
}

/** Trade prints; `side` is the taker side: 1 buy, -1 sell (0 unknown). */
export interface TradeSeries {
  readonly time: Float64Array;
  readonly price: Float64Array;
  readonly amount: Float64Array;
  readonly side: Int8Array;
}

// ---------------------------------------------------------------------------
// Strategy definition (JSON document, version 1).
// ---------------------------------------------------------------------------

export type PriceSource = 'open' | 'high' | 'low' | 'close' | 'volume' | 'hl2' | 'hlc3' | 'ohlc4';

/** One indicator: a type of the registry in `indicators/registry.ts` and that entry's parameters. */
export type IndicatorSpec<N = number> = { [T in IndicatorType]: SpecOf<T, N> }[IndicatorType];

export type { IndicatorType };

/** A number, a price field (`close`), an indicator (`fast`) or one of its outputs (`macd.signal`). */
export type Operand<N = number> = N | string;

export type ComparisonOp = 'gt' | 'gte' | 'lt' | 'lte' | 'crossAbove' | 'crossBelow';

export type Condition<N = number> =
  | { all: Condition<N>[] }
  | { any: Condition<N>[] }
  | { not: Condition<N> }
  | { gt: [Operand<N>, Operand<N>] }
  | { gte: [Operand<N>, Operand<N>] }
  | { lt: [Operand<N>, Operand<N>] }
  | { lte: [Operand<N>, Operand<N>] }
  | { crossAbove: [Operand<N>, Operand<N>] }
  | { crossBelow: [Operand<N>, Operand<N>] };

export interface SideRules<N = number> {
  long?: Condition<N>;
  short?: Condition<N>;
}

export interface RiskSettings<N = number> {
  /** Percent of entry price, e.g. 2 for 2%. */
  stopLossPct?: N;
  takeProfitPct?: N;
  trailingStopPct?: N;
  maxBarsInTrade?: N;
}

export type Sizing<N = number> =
  | { type: 'equityFraction'; fraction: N; wholeUnits?: boolean }
  | { type: 'fixedQuote'; amount: N; wholeUnits?: boolean }
  | { type: 'fixedUnits'; units: N };

/**
 * A strategy definition. `N` is what may stand where a number goes: plain numbers in a concrete
 * definition (what runs), numbers or `{ "param": name }` in a parameterized one (what is stored).
 */
export interface StrategyDefinition<N = number> {
  version: 1;
  /** Named tunable numbers; only in a parameterized definition (`bindParams` removes them). */
  params?: Record<string, ParamSpec>;
  /** Rules between params, e.g. fast < slow; only beside `params`. */
  constraints?: ParamConstraint[];
  indicators: Record<string, IndicatorSpec<N>>;
  entry: SideRules<N>;
  exit?: SideRules<N>;
  risk?: RiskSettings<N>;
  sizing?: Sizing<N>;
  allowShort?: boolean;
  reverseOnSignal?: boolean;
}

/** Where a number goes, a parameterized definition may name a param instead: `{ "param": "fast" }`. */
export interface ParamRef {
  param: string;
}

/** A definition that may declare params and refer to them; `bindParams` turns it into a concrete one. */
export type ParameterizedDefinition = StrategyDefinition<number | ParamRef>;

/**
 * A tunable number with its default and search range. `int` and `decimal` span min..max (on a grid of
 * `step` from min when given; an int's step defaults to 1); `choice` is one of `values`.
 */
export type ParamSpec =
  | { type: 'int'; default: number; min: number; max: number; step?: number; description?: string }
  | { type: 'decimal'; default: number; min: number; max: number; step?: number; description?: string }
  | { type: 'choice'; default: number; values: number[]; description?: string };

export type ParamType = ParamSpec['type'];
export type ConstraintOp = 'lt' | 'lte' | 'gt' | 'gte';

/** A rule the param values must meet, e.g. `{ "lt": [{ "param": "fast" }, { "param": "slow" }] }`. */
export type ParamConstraint = {
  [Op in ConstraintOp]: { [K in Op]: [number | ParamRef, number | ParamRef] };
}[ConstraintOp];

/** One dimension of a definition's search space, for an optimiser. */
export interface ParamDimension {
  name: string;
  type: ParamType;
  default: number;
  min: number;
  max: number;
  /** Grid spacing from min; absent for a continuous decimal and for a choice. */
  step?: number;
  /** Every value the param may take, in ascending order; absent for a continuous decimal. */
  values?: number[];
  description?: string;
}

export interface ParamSpace {
  params: ParamDimension[];
  constraints: ParamConstraint[];
}

/** One validation problem, with a JSON path such as `entry.long.all[1].crossAbove[0]`. */
export interface ValidationIssue {
  path: string;
  message: string;
}

export type ValidationResult = { ok: true; definition: StrategyDefinition } | { ok: false; errors: ValidationIssue[] };

/**
 * Signals evaluated on each bar's close (index i = decided at the close of bar i).
 * 1 = the condition holds at that close, 0 = it does not.
 */
export interface SignalSet {
  readonly entryLong: Uint8Array;
  readonly exitLong: Uint8Array;
  readonly entryShort: Uint8Array;
  readonly exitShort: Uint8Array;
}

// ---------------------------------------------------------------------------
// Running a backtest.
// ---------------------------------------------------------------------------

export type Precision = 'kline' | 'hybrid' | 'tick';
export type Calendar = 'crypto' | 'equity';

export interface TickModelSettings {
  /** Delay between the signal (bar close) and the first print the order may fill on. Default 50. */
  latencyMs?: number;
  /** Square-root impact coefficient k in impactBps = k * sigma * sqrt(qty / ADV) * 1e4. */
  impactCoefficient?: number;
  /** Milliseconds of prints before an order used to estimate sigma and ADV. */
  impactLookbackMs?: number;
}

/**
 * What a fill pays, as a fraction of its notional. `flat`: the same rate on every fill (what
 * `feeRate` sets). `makerTaker`: a take-profit rests at its level as a limit order and pays
 * `makerRate` (negative for a rebate); every other fill (market orders, stops, the end close)
 * takes liquidity and pays `takerRate`, which also sizes new positions.
 */
export type FeeModel = { type: 'flat'; rate: number } | { type: 'makerTaker'; makerRate: number; takerRate: number };

/**
 * How far a kline or hybrid fill moves against the trader (tick uses its impact model).
 * `bps`: price × bps / 10⁴ (what `slippageBps` sets). `fixedPlusBps`: that plus a fixed price
 * amount (half a spread, a tick), so cheap instruments pay a realistic minimum.
 */
export type FillModel = { type: 'bps'; bps: number } | { type: 'fixedPlusBps'; fixed: number; bps: number };

export interface BacktestSettings {
  initialCapital: number;
  /** Fraction of notional charged on every fill, default 0.001. Not with `fees`. */
  feeRate?: number;
  /** Basis points against the trader on every market fill (kline, hybrid). Not with `fill`. */
  slippageBps?: number;
  /** Fee model; default flat at `feeRate`. */
  fees?: FeeModel;
  /** Slippage model (kline, hybrid); default bps at `slippageBps`. */
  fill?: FillModel;
  calendar?: Calendar;
  /** Periods per year override for annualisation (else from calendar and timeframe). */
  periodsPerYear?: number;
  tick?: TickModelSettings;
}

export interface BacktestInput {
  /** A parameterized definition runs with its params' defaults. */
  definition: StrategyDefinition | ParameterizedDefinition;
  precision: Precision;
  /** Base-timeframe candles the rules are evaluated on. For `tick` they may be built from the prints. */
  candles: CandleSeries;
  /** Hybrid: detail series from coarsest to finest (e.g. [1m, 1s]). */
  detail?: CandleSeries[];
  /** Tick: trade prints covering the candles' span. */
  trades?: TradeSeries;
  settings: BacktestSettings;
  /** Called with 0..100 at most every few percent; returning false cancels the run. */
  onProgress?: (percent: number) => boolean | void;
}

/**
 * A candle series delivered in chunks, each shaped like the whole series (`timeframeMs`
 * included), in time order and cut anywhere.
 */
export interface CandleStream {
  readonly timeframeMs: number;
  readonly chunks: Iterable<CandleSeries>;
}

/**
 * `BacktestInput` with the detail bars and the prints streamed: the engine reads them chunk by
 * chunk as the run reaches them and keeps only the chunks it still needs, so a run's memory is
 * bounded by the chunk size and the base-bar count. The candles stay whole (signals need them).
 */
export interface StreamingBacktestInput extends Omit<BacktestInput, 'detail' | 'trades'> {
  /** Hybrid: detail series from coarsest to finest. */
  detail?: CandleStream[];
  /** Tick: trade prints covering the candles' span. */
  trades?: Iterable<TradeSeries>;
}

export type TradeSide = 'long' | 'short';
export type ExitReason = 'signal' | 'stopLoss' | 'takeProfit' | 'trailingStop' | 'maxBars' | 'end';

export interface Trade {
  side: TradeSide;
  entryTime: number;
  entryPrice: number;
  exitTime: number;
  exitPrice: number;
  /** Base-bar indices of entry and exit fills. */
  entryBar: number;
  exitBar: number;
  units: number;
  pnl: number;
  pnlPct: number;
  fees: number;
  slippage: number;
  exitReason: ExitReason;
  ambiguous: boolean;
  /**
   * Tick precision: prints beyond the first that the entry and the exit each needed, summed
   * (0 = both filled on one print each). Always 0 in kline and hybrid.
   */
  partialFills: number;
}

/**
 * Figures of one run. Percentages are in percent (12.5 = 12.5 %), drawdowns are negative.
 * A figure that is undefined for the run (a ratio with a zero denominator, a statistic of an
 * empty or one-element set) is `null`, never NaN or Infinity, so the JSON is exact and stable:
 * `profitFactor` is null when no trade lost, `sharpe` when the returns do not vary, the trade
 * averages when there was no trade.
 */
export interface BacktestMetrics {
  finalEquity: number;
  totalReturnPct: number;
  cagrPct: number | null;
  volatilityAnnPct: number | null;
  sharpe: number | null;
  sortino: number | null;
  calmar: number | null;
  maxDrawdownPct: number;
  maxDrawdownDurationBars: number;
  avgDrawdownPct: number;
  tradeCount: number;
  winRatePct: number | null;
  profitFactor: number | null;
  expectancyPct: number | null;
  avgTradePct: number | null;
  bestTradePct: number | null;
  worstTradePct: number | null;
  avgTradeDurationBars: number | null;
  maxTradeDurationBars: number | null;
  exposurePct: number;
  buyAndHoldReturnPct: number;
  sqn: number | null;
  feesPaid: number;
  slippagePaid: number;
  ambiguousTrades: number;
}

/**
 * Equity at each bar's close, labelled with the bar's open time (epoch ms). Held as typed arrays
 * (a 1M-bar curve costs no per-element allocation); `JSON.stringify` writes both as plain
 * number arrays, so the JSON form is `{ "time": number[], "equity": number[] }`.
 */
export interface EquityCurve {
  time: Float64Array;
  equity: Float64Array;
}

export interface Envelope {
  /** Final equity had every ambiguous bar resolved in the trader's favour. */
  bestFinalEquity: number;
  /** Final equity with the worse outcome first (what kline reports). */
  worstFinalEquity: number;
  ambiguousBars: number[];
}

export interface DetailCoverage {
  /** Share (0..1) of in-position base bars that had detail data. */
  ratio: number;
  barsInPosition: number;
  barsWithDetail: number;
}

export interface BacktestResult {
  engineVersion: string;
  precision: Precision;
  fingerprint: string;
  metrics: BacktestMetrics;
  trades: Trade[];
  equity: EquityCurve;
  /** At most 2,000 points, keeping the extremes. */
  equityDownsampled: EquityCurve;
  envelope?: Envelope;
  detailCoverage?: DetailCoverage;
}
