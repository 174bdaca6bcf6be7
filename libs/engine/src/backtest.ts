import { CandleChunkValidator, TradeChunkValidator, validateCandles } from './data/validate';
import { EngineError } from './errors';
import { CandleDigest, fingerprint, TradeDigest } from './fingerprint';
import { JsonFloat64Array } from './json';
import { computeMetrics, downsampleEquity, periodsPerYear } from './metrics';
import type { BarRun, ProgressHook } from './simulate/core';
import { simulateHybridStream } from './simulate/hybrid';
import { simulateKline } from './simulate/kline';
import { checkPrecision, checkSettings, resolveFeeModel, resolveFillModel, resolveParams } from './simulate/params';
import { simulateTickStream } from './simulate/tick';
import { compileSignals } from './strategy/signals';
import { formatValidationIssues, validateStrategy } from './strategy/validate';
import type {
  BacktestInput,
  BacktestResult,
  CandleSeries,
  CandleStream,
  DetailCoverage,
  Envelope,
  SignalSet,
  StreamingBacktestInput,
  TradeSeries,
} from './types';
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

function checkInputShape(input: BacktestInput | StreamingBacktestInput): void {
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

/** Checks the detail streams' timeframes (each finer than the one before). */
function checkDetail(candles: CandleSeries, detail: readonly CandleStream[] | undefined): readonly CandleStream[] {
  if (detail === undefined || detail === null || detail.length === 0) {
    throw new EngineError('INVALID_SETTINGS', 'hybrid precision needs at least one detail series');
  }
  let coarser = candles.timeframeMs;
  detail.forEach((d, k) => {
    const tf = d.timeframeMs;
    if (!(Number.isFinite(tf) && tf > 0)) {
      throw new EngineError('INVALID_MARKET_DATA', `detail[${k}]: timeframeMs must be a positive number, got ${tf}`, {
        series: `detail[${k}]`,
      });
    }
    if (!(tf < coarser)) {
      throw new EngineError(
        'INVALID_SETTINGS',
        `detail[${k}] has a ${tf} ms timeframe; each detail series must be finer than the one before (${coarser} ms)`,
      );
    }
    coarser = tf;
  });
  return detail;
}

/** Passes each chunk on after `inspect` (validation, digest) has seen it. */
function* inspected<T>(chunks: Iterable<T>, inspect: (chunk: T) => void): Generator<T> {
  for (const chunk of chunks) {
    inspect(chunk);
    yield chunk;
  }
}

/**
 * Runs one backtest on series held whole: `runBacktestStream` with each detail series and the
 * prints as a single chunk.
 */
export function runBacktest(input: BacktestInput): BacktestResult {
  checkInputShape(input);
  const { detail, trades, ...rest } = input;
  return runBacktestStream({
    ...rest,
    detail: Array.isArray(detail) ? detail.map((d) => ({ timeframeMs: d?.timeframeMs, chunks: [d] })) : undefined,
    trades: trades === undefined || trades === null ? undefined : [trades],
  });
}

/**
 * Runs one backtest: validates the definition (INVALID_STRATEGY), the settings
 * (INVALID_SETTINGS) and the market data (INVALID_MARKET_DATA; a streamed chunk when it
 * arrives, with its index in the whole series), compiles the signals on the candles, simulates
 * at the requested precision and measures the result. Detail bars and prints are read chunk by
 * chunk, each to the end of its stream; the result does not depend on how they are cut. Pure and
 * deterministic: identical inputs give a byte-identical `JSON.stringify(result)`.
 * `onProgress` receives 0..100 at least 5 points apart; answering `false` throws CANCELLED.
 */
export function runBacktestStream(input: StreamingBacktestInput): BacktestResult {
  checkInputShape(input);
  const precision = checkPrecision(input.precision);
  const calendar = checkSettings(input.settings);
  const validation = validateStrategy(input.definition);
  if (!validation.ok) {
    throw new EngineError('INVALID_STRATEGY', formatValidationIssues(validation.errors), validation.errors);
  }
  const definition = validation.definition;
  const candles = input.candles;
  // Whether the candles have a regular time column, for the fingerprint.
  const regularTime = validateCandles(candles, 'candles').regularTime;
  const n = candles.time.length;
  if (n === 0) throw new EngineError('INVALID_MARKET_DATA', 'candles: the series is empty');
  let detail: CandleStream[] | undefined;
  let detailDigests: CandleDigest[] | undefined;
  if (precision === 'hybrid') {
    const streams = checkDetail(candles, input.detail);
    detailDigests = streams.map((d) => new CandleDigest(d.timeframeMs));
    detail = streams.map((d, k) => {
      const validator = new CandleChunkValidator(`detail[${k}]`, d.timeframeMs);
      const digest = detailDigests![k];
      return {
        timeframeMs: d.timeframeMs,
        chunks: inspected(d.chunks, (chunk) => {
          validator.check(chunk);
          digest.add(chunk);
        }),
      };
    });
  }
  let trades: Iterable<TradeSeries> | undefined;
  let tradesDigest: TradeDigest | undefined;
  if (precision === 'tick') {
    if (input.trades === undefined || input.trades === null) {
      throw new EngineError('INVALID_SETTINGS', 'tick precision needs trade prints');
    }
    const validator = new TradeChunkValidator('trades');
    const digest = (tradesDigest = new TradeDigest());
    trades = inspected(input.trades, (chunk) => {
      validator.check(chunk);
      digest.add(chunk);
    });
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
      const hybrid = simulateHybridStream(candles, detail!, signals, params, simulation);
      detailCoverage = hybrid.detailCoverage;
      run = hybrid;
      break;
    }
    case 'tick':
      run = simulateTickStream(candles, trades!, signals, params, simulation);
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
  const fees = resolveFeeModel(settings);
  const fill = resolveFillModel(settings, precision);
  // The models in their canonical form; the legacy fields alone when they say it all, so runs
  // from before the models keep their fingerprints.
  const resolvedSettings = {
    initialCapital: params.initialCapital,
    feeRate: params.feeRate,
    slippageBps: fill.bps,
    fees: fees.type === 'flat' ? undefined : fees,
    fill: fill.type === 'bps' ? undefined : fill,
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
      detail: detailDigests,
      trades: tradesDigest,
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
