import { validateCandles, validateTrades } from './data/validate';
import { EngineError } from './errors';
import { fingerprint } from './fingerprint';
import { JsonFloat64Array } from './json';
import { computeMetrics, downsampleEquity, periodsPerYear } from './metrics';
import type { BarRun, ProgressHook } from './simulate/core';
import { simulateHybrid } from './simulate/hybrid';
import { simulateKline } from './simulate/kline';
import { checkPrecision, checkSettings, DEFAULT_FEE_RATE, resolveParams } from './simulate/params';
import { simulateTick } from './simulate/tick';
import { compileSignals } from './strategy/signals';
import { formatValidationIssues, validateStrategy } from './strategy/validate';
import type { BacktestInput, BacktestResult, CandleSeries, DetailCoverage, Envelope, SignalSet } from './types';
import { ENGINE_VERSION } from './version';

/** Turns simulation fractions into percent reports at least 5 points apart; a `false` answer cancels. */
class Progress {
  private last = -Infinity;
  constructor(private readonly onProgress: BacktestInput['onProgress']) {}

  report(percent: number): void {
    if (this.onProgress === undefined) return;
    const p = Math.min(100, Math.floor(percent));
    if (p < 100 && p - this.last < 5) return;
    this.last = p;
    if (this.onProgress(p) === false) throw new EngineError('CANCELLED', `backtest cancelled at ${p}%`);
  }

  /** A hook mapping a simulator's [0, 1] onto [from, to] percent. */
  span(from: number, to: number): ProgressHook | undefined {
    if (this.onProgress === undefined) return undefined;
    return (fraction) => this.report(from + (to - from) * fraction);
  }
}

function checkInputShape(input: BacktestInput): void {
  if (input === null || typeof input !== 'object') throw new EngineError('INVALID_SETTINGS', 'input must be an object');
  if (input.candles === null || typeof input.candles !== 'object') {
    throw new EngineError('INVALID_MARKET_DATA', 'candles are required');
  }
}

function checkSignals(signals: SignalSet, n: number): void {
  for (const a of [signals.entryLong, signals.exitLong, signals.entryShort, signals.exitShort]) {
    if (a.length !== n) throw new Error(`compiled signals have ${a.length} bars for ${n} candles`);
  }
}

/** Validates the detail series; `regularTime` receives what validation found for each. */
function checkDetail(
  candles: CandleSeries,
  detail: readonly CandleSeries[] | undefined,
  regularTime: boolean[],
): readonly CandleSeries[] {
  if (detail === undefined || detail === null || detail.length === 0) {
    throw new EngineError('INVALID_SETTINGS', 'hybrid precision needs at least one detail series');
  }
  let coarser = candles.timeframeMs;
  detail.forEach((d, k) => {
    regularTime.push(validateCandles(d, `detail[${k}]`).regularTime);
    if (!(d.timeframeMs < coarser)) {
      throw new EngineError(
        'INVALID_SETTINGS',
        `detail[${k}] has a ${d.timeframeMs} ms timeframe; each detail series must be finer than the one before (${coarser} ms)`,
      );
    }
    coarser = d.timeframeMs;
  });
  return detail;
}

/**
 * Runs one backtest: validates the definition (INVALID_STRATEGY), the settings
 * (INVALID_SETTINGS) and the market data (INVALID_MARKET_DATA), compiles the signals on the
 * candles, simulates at the requested precision and measures the result. Pure and
 * deterministic: identical inputs give a byte-identical `JSON.stringify(result)`.
 * `onProgress` receives 0..100 at least 5 points apart; answering `false` throws CANCELLED.
 */
export function runBacktest(input: BacktestInput): BacktestResult {
  checkInputShape(input);
  const precision = checkPrecision(input.precision);
  const calendar = checkSettings(input.settings);
  const validation = validateStrategy(input.definition);
  if (!validation.ok) {
    throw new EngineError('INVALID_STRATEGY', formatValidationIssues(validation.errors), validation.errors);
  }
  const definition = validation.definition;
  const candles = input.candles;
  // Whether each candle series has a regular time column, for the fingerprint.
  const regularTime = [validateCandles(candles, 'candles').regularTime];
  const n = candles.time.length;
  if (n === 0) throw new EngineError('INVALID_MARKET_DATA', 'candles: the series is empty');
  const detail = precision === 'hybrid' ? checkDetail(candles, input.detail, regularTime) : undefined;
  const trades = precision === 'tick' ? input.trades : undefined;
  if (precision === 'tick') {
    if (trades === undefined || trades === null) {
      throw new EngineError('INVALID_SETTINGS', 'tick precision needs trade prints');
    }
    validateTrades(trades, 'trades');
  }

  const progress = new Progress(input.onProgress);
  progress.report(0);
  const signals = compileSignals(definition, candles);
  checkSignals(signals, n);
  const params = resolveParams(definition, input.settings, precision);
  const simulation = progress.span(5, 90);

  let envelope: Envelope | undefined;
  let detailCoverage: DetailCoverage | undefined;
  let run: BarRun;
  switch (precision) {
    case 'kline': {
      const worst = simulateKline(candles, signals, params, 'worst', simulation);
      const best = worst.ambiguousTimes.length > 0 ? simulateKline(candles, signals, params, 'best') : worst;
      envelope = {
        bestFinalEquity: best.finalEquity,
        worstFinalEquity: worst.finalEquity,
        ambiguousBars: worst.ambiguousTimes,
      };
      run = worst;
      break;
    }
    case 'hybrid': {
      const hybrid = simulateHybrid(candles, detail!, signals, params, simulation);
      detailCoverage = hybrid.detailCoverage;
      run = hybrid;
      break;
    }
    case 'tick':
      run = simulateTick(candles, trades!, signals, params, simulation);
      break;
  }

  const settings = input.settings;
  const ppy = settings.periodsPerYear ?? periodsPerYear(calendar, candles.timeframeMs);
  const metrics = computeMetrics({
    initialCapital: params.initialCapital,
    equity: run.equity,
    time: candles.time,
    timeframeMs: candles.timeframeMs,
    firstClose: candles.close[0],
    lastClose: candles.close[n - 1],
    trades: run.trades,
    barsInPosition: run.barsInPosition,
    periodsPerYear: ppy,
  });
  progress.report(95);
  // Views, not copies: the curve's times are the input's bar times, its values the simulator's.
  const equity = { time: JsonFloat64Array.viewOf(candles.time), equity: JsonFloat64Array.viewOf(run.equity) };
  const equityDownsampled = downsampleEquity(candles.time, run.equity);
  const resolvedSettings = {
    initialCapital: params.initialCapital,
    feeRate: settings.feeRate ?? DEFAULT_FEE_RATE,
    slippageBps: precision === 'tick' ? 0 : (settings.slippageBps ?? 0),
    calendar,
    periodsPerYear: ppy,
    tick:
      precision === 'tick'
        ? {
            latencyMs: params.latencyMs,
            impactCoefficient: params.impactCoefficient,
            impactLookbackMs: params.impactLookbackMs,
          }
        : undefined,
  };
  const result: BacktestResult = {
    engineVersion: ENGINE_VERSION,
    precision,
    fingerprint: fingerprint({
      precision,
      candles,
      detail,
      trades,
      definition,
      settings: resolvedSettings,
      regularTime,
    }),
    metrics,
    trades: run.trades,
    equity,
    equityDownsampled,
  };
  if (envelope !== undefined) result.envelope = envelope;
  if (detailCoverage !== undefined) result.detailCoverage = detailCoverage;
  progress.report(100);
  return result;
}
