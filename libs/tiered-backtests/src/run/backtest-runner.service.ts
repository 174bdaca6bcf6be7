import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { aggregateCandles, EngineError, type BacktestSettings, type CandleSeries } from '@app/engine';
import { AppConfig, AppError } from '@app/platform';
import { bucketRange, InstrumentRecord, MarketFeed } from '@app/market';
import { StrategyService } from '@app/strategies';
import { backtestQueueWait, backtestRunDuration, backtestsFinished, engineBarsPerSecond } from '../backtest.metrics';
import { BacktestRecord, BacktestRepository, BacktestTimings } from '../backtest.repository';
import { timeframeToMs } from '../domain/plan';
import { EnginePool, EngineJob } from '../engine/engine-pool';
import type { EngineOutput } from '../engine/engine-protocol';
import { ProgressGate } from './progress-gate';
import { SeriesCache } from './series-cache';
import { candleChunksOf, SlicedSeriesSource, StoredSeriesSource, type SeriesChunkSource } from './series-chunk-source';

export interface RunContext {
  attempt: number;
  maxAttempts: number;
  /** Publishes progress to the queue (and so to every API instance's SSE streams). */
  publish(percent: number): Promise<void>;
}

/** Progress once the data is loaded; the engine's 0-100 maps onto the rest. */
const LOADED_PERCENT = 10;

export type RunOutcome = { status: 'completed' | 'cancelled' | 'skipped'; backtestId: string };

/** A failure retrying cannot fix: a bad definition, data or settings. The job fails at once. */
export class BacktestRunFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Runs one backtest in a worker: claims the row, loads the data through the market feed, runs
 * the engine on a thread, publishes progress (and notices a cancel at each published point),
 * and stores the result in the transaction that marks the row completed.
 */
@Injectable()
export class BacktestRunner implements OnApplicationShutdown {
  private readonly logger = new Logger(BacktestRunner.name);
  private pool?: EnginePool;
  private readonly series: SeriesCache;
  private readonly chunks: SeriesChunkSource;

  constructor(
    @Inject(AppConfig) private readonly config: AppConfig,
    private readonly backtests: BacktestRepository,
    private readonly strategies: StrategyService,
    private readonly feed: MarketFeed,
  ) {
    this.series = new SeriesCache(config.env.BACKTEST_DATA_CACHE_BYTES);
    this.chunks = new StoredSeriesSource(feed, new SlicedSeriesSource(feed, config.env.BACKTEST_STREAM_CHUNK_ROWS));
  }

  /** Candles of one timeframe and range, from the worker's cache when the same data was loaded before. */
  private candles(
    instrument: InstrumentRecord,
    tfMs: number,
    range: { from: number; to: number },
  ): Promise<CandleSeries> {
    const key = `${instrument.id}|${instrument.dataVersion}|${tfMs}|${range.from}|${range.to}`;
    return this.series.get(
      key,
      () => this.feed.candlesOf(instrument, tfMs, range),
      this.config.env.BACKTEST_DATA_CACHE_BYTES > 0,
    );
  }

  /**
   * After the queue workers drained (QueueWorkerHost.beforeApplicationShutdown): closing the
   * threads in onModuleDestroy, which Nest runs first, stranded the active run and so the drain.
   */
  async onApplicationShutdown(): Promise<void> {
    await this.pool?.close();
  }

  private engine(): EnginePool {
    const configured = this.config.env.BACKTEST_ENGINE_THREADS;
    this.pool ??= new EnginePool(
      configured > 0 ? configured : Math.min(this.config.env.BACKTEST_CONCURRENCY, availableParallelism()),
    );
    return this.pool;
  }

  async run(backtestId: string, context: RunContext): Promise<RunOutcome> {
    const backtest = await this.backtests.claim(backtestId);
    if (!backtest) return { status: 'skipped', backtestId };
    if (backtest.status === 'cancelled') {
      this.count(backtest, 'cancelled');
      return { status: 'cancelled', backtestId };
    }
    const started = performance.now();
    if (backtest.attempts === 1)
      backtestQueueWait().observe(
        { tier: backtest.tier },
        (backtest.startedAt!.getTime() - backtest.createdAt.getTime()) / 1000,
      );
    try {
      const strategy = await this.strategies.version(backtest.ownerId, backtest.strategyId, backtest.strategyVersion);
      const input = await this.load(backtest);
      const loadMs = performance.now() - started;
      const output = await this.execute(backtest, { ...input, definition: strategy.definition }, context, loadMs);
      if (output === 'cancelled') return await this.cancelled(backtest);
      const timings: BacktestTimings = {
        queueWaitMs: backtest.startedAt!.getTime() - backtest.createdAt.getTime(),
        loadMs: Math.round(loadMs),
        runMs: Math.round(output.runMs),
        totalMs: Math.round(performance.now() - started),
        bars: output.bars,
        barsPerSecond: output.runMs > 0 ? Math.round((output.bars / output.runMs) * 1000) : output.bars,
      };
      const stored = await this.backtests.complete(backtest.id, output, timings);
      if (!stored) return await this.cancelled(backtest);
      this.count(backtest, 'completed');
      backtestRunDuration().observe({ precision: backtest.precision }, (performance.now() - started) / 1000);
      engineBarsPerSecond().observe({ precision: backtest.precision }, timings.barsPerSecond);
      return { status: 'completed', backtestId };
    } catch (error) {
      return this.failed(backtest, error, context);
    }
  }

  private async execute(
    backtest: BacktestRecord,
    job: EngineJob,
    context: RunContext,
    loadMs: number,
  ): Promise<EngineOutput | 'cancelled'> {
    // The data is loaded: the first progress point (10%), where a cancel that came meanwhile stops
    // the run. A quick load skips it (a cancel still wins: the completing update checks the flag).
    if (loadMs >= this.config.env.BACKTEST_PROGRESS_INTERVAL_MS) {
      if (await this.backtests.progress(backtest.id, LOADED_PERCENT)) return 'cancelled';
      await context.publish(LOADED_PERCENT);
    }
    const gate = new ProgressGate(Date.now(), this.config.env.BACKTEST_PROGRESS_INTERVAL_MS, LOADED_PERCENT);
    let publishing: Promise<void> | undefined;
    let cancelRequested = false;
    const run = this.engine().run(job, (enginePercent) => {
      const percent = Math.floor(LOADED_PERCENT + ((100 - LOADED_PERCENT) * enginePercent) / 100);
      if (publishing || !gate.shouldPublish(percent, Date.now())) return;
      publishing = (async () => {
        cancelRequested = await this.backtests.progress(backtest.id, percent);
        if (cancelRequested) run.cancel();
        else await context.publish(percent);
      })()
        .catch((e: Error) => this.logger.warn(`progress of ${backtest.id} not published: ${e.message}`))
        .finally(() => (publishing = undefined));
    });
    try {
      return await run.result;
    } catch (error) {
      if (error instanceof EngineError && error.code === 'CANCELLED' && cancelRequested) return 'cancelled';
      throw error;
    } finally {
      await publishing;
    }
  }

  private async load(b: BacktestRecord): Promise<Omit<EngineJob, 'definition'>> {
    const instrument = await this.feed.instrument(b.exchange, b.symbol);
    const range = { from: b.from, to: b.to };
    const tfMs = timeframeToMs(b.timeframe)!;
    let candles: CandleSeries;
    let detail: CandleSeries[] | undefined;
    if (b.precision === 'hybrid') ({ candles, detail } = await this.hybridSeries(instrument, b, tfMs, range));
    else candles = await this.candles(instrument, tfMs, range);
    if (candles.time.length === 0) {
      throw new BacktestRunFailure(
        'BACKTEST_DATA_MISSING',
        `No ${b.timeframe} bars of ${b.symbol} lie in the range any more.`,
      );
    }
    // Streamed: the prints are read as the run reaches them, on the engine thread's demand.
    const trades = b.precision === 'tick' ? this.chunks.tradeChunks(instrument, range) : undefined;
    const rows = this.config.env.BACKTEST_STREAM_CHUNK_ROWS;
    const settings: BacktestSettings = {
      initialCapital: b.initialCapital,
      feeRate: b.feeRate,
      slippageBps: b.slippageBps,
      calendar: instrument.metadata.calendar === 'equity' ? 'equity' : 'crypto',
      tick: b.precision === 'tick' ? { latencyMs: b.latencyMs ?? undefined } : undefined,
    };
    return {
      precision: b.precision,
      candles,
      detail: detail?.map((d) => ({ timeframeMs: d.timeframeMs, chunks: candleChunksOf(d, rows) })),
      trades,
      settings,
    };
  }

  /**
   * Base bars and detail series of a hybrid run: the detail series, then 1s bars from the prints
   * when they are finer ("to the finest detail available"). When the detail is the stored
   * candles the base bars aggregate, they are read once, over the base bars' whole buckets, and
   * the base bars are built from them (what reading the base timeframe would do).
   */
  private async hybridSeries(
    instrument: InstrumentRecord,
    b: BacktestRecord,
    tfMs: number,
    range: { from: number; to: number },
  ): Promise<{ candles: CandleSeries; detail: CandleSeries[] }> {
    const detailMs = timeframeToMs(b.detailTimeframe ?? '')!;
    const source = this.feed.sourceOf(instrument, tfMs);
    let candles: CandleSeries;
    let coarsest: CandleSeries;
    if (source.kind === 'candles' && source.storedMs === detailMs) {
      coarsest = await this.candles(instrument, detailMs, bucketRange(range, tfMs));
      candles = aggregateCandles(coarsest, tfMs);
    } else {
      candles = await this.candles(instrument, tfMs, range);
      coarsest = await this.candles(instrument, detailMs, range);
    }
    const detail = [coarsest];
    if (instrument.hasTrades && detailMs > 1_000) {
      const finest = await this.feed.candlesOf(instrument, 1_000, range).catch(() => undefined);
      if (finest) detail.push(finest);
    }
    return { candles, detail: detail.filter((s) => s.time.length > 0) };
  }

  private async cancelled(b: BacktestRecord): Promise<RunOutcome> {
    if (await this.backtests.finish(b.id, 'cancelled')) this.count(b, 'cancelled');
    return { status: 'cancelled', backtestId: b.id };
  }

  /**
   * Bad definitions, data or settings fail the backtest at once (BacktestRunFailure); anything
   * else is an infrastructure error: back to queued for a retry, or failed after the last attempt.
   */
  private async failed(b: BacktestRecord, error: unknown, context: RunContext): Promise<never> {
    let failure: BacktestRunFailure | undefined;
    if (error instanceof BacktestRunFailure) failure = error;
    else if (error instanceof EngineError) failure = new BacktestRunFailure(`BACKTEST_${error.code}`, error.message);
    else if (error instanceof AppError && error.kind !== 'unavailable' && error.kind !== 'internal') {
      failure = new BacktestRunFailure(error.code, error.message);
    }
    if (failure) {
      if (await this.backtests.finish(b.id, 'failed', { code: failure.code, message: failure.message }))
        this.count(b, 'failed');
      throw failure;
    }
    const message = error instanceof Error ? error.message : String(error);
    if (context.attempt >= context.maxAttempts) {
      const finished = await this.backtests.finish(b.id, 'failed', {
        code: 'BACKTEST_INFRASTRUCTURE_ERROR',
        message: `Failed after ${context.attempt} attempts: ${message}`,
      });
      if (finished) this.count(b, 'failed');
    } else {
      await this.backtests.requeue(b.id, `Attempt ${context.attempt} failed (${message}); retrying.`);
    }
    throw error;
  }

  private count(b: BacktestRecord, outcome: 'completed' | 'failed' | 'cancelled'): void {
    backtestsFinished().inc({ tier: b.tier, precision: b.precision, outcome });
  }
}
