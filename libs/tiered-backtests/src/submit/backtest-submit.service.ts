import { Inject, Injectable, Logger } from '@nestjs/common';
import type { JobsOptions } from 'bullmq';
import { createHash, randomUUID } from 'node:crypto';
import { canonicalJson, DEFAULT_FEE_RATE, DEFAULT_LATENCY_MS, type Precision } from '@app/engine';
import { AppConfig, JobProducer, TIER_PRIORITY } from '@app/platform';
import { normalizeExchange, parseSymbol } from '@app/market';
import { StrategyService } from '@app/strategies';
import {
  BacktestConcurrencyLimitError,
  BacktestInputError,
  BacktestQuotaExceededError,
  BacktestTierLimitError,
  IdempotencyKeyReusedError,
} from '../backtest.errors';
import { backtestsRejected, backtestsSubmitted } from '../backtest.metrics';
import { BacktestRecord, BacktestRepository, NewBacktest } from '../backtest.repository';
import { BacktestRequest, checkPlan, timeframeToMs } from '../domain/plan';
import { bestPrecision, TierLimits, TierName, TIERS, utcDay } from '../domain/tiers';
import { DataCheckService } from './data-check.service';

export interface Submitter {
  id: string;
  tier: TierName;
}

/**
 * Validates a submission against the tier table, the stored data, the daily quota and the
 * concurrency limit, stores the `queued` rows and enqueues one job per row (job id = row id).
 * Quota and concurrency are checked under the owner's lock in PostgreSQL, so parallel
 * requests through any number of API instances cannot slip past them.
 */
@Injectable()
export class BacktestSubmitService {
  private readonly logger = new Logger(BacktestSubmitService.name);

  constructor(
    @Inject(AppConfig) private readonly config: AppConfig,
    private readonly backtests: BacktestRepository,
    private readonly strategies: StrategyService,
    private readonly data: DataCheckService,
    private readonly producer: JobProducer,
  ) {}

  async submit(
    user: Submitter,
    raw: BacktestRequest,
    idempotencyKey?: string,
  ): Promise<{ backtest: BacktestRecord; replayed: boolean }> {
    const request = this.normalize(raw);
    const requestHash = idempotencyKey === undefined ? null : hashRequest('submit', request);
    if (idempotencyKey !== undefined) {
      const replay = await this.replay(user.id, idempotencyKey, requestHash!);
      if (replay) return { backtest: replay, replayed: true };
    }
    const limits = TIERS[user.tier];
    const precision = request.precision ?? bestPrecision(user.tier);
    const row = await this.plan(user, limits, request, precision);
    const outcome = await this.insert(user, limits, [{ ...row, idempotencyKey: idempotencyKey ?? null, requestHash }], {
      idempotencyKey,
      requestHash,
    });
    if ('replay' in outcome) return { backtest: outcome.replay, replayed: true };
    await this.enqueue(outcome.rows);
    return { backtest: outcome.rows[0], replayed: false };
  }

  /** One backtest per precision the tier allows, grouped under one comparison id. */
  async compare(
    user: Submitter,
    raw: Omit<BacktestRequest, 'precision'>,
  ): Promise<{ comparisonId: string; backtests: BacktestRecord[] }> {
    const request = this.normalize(raw);
    const limits = TIERS[user.tier];
    if (limits.precisions.length < 2) {
      this.reject(user.tier, 'BACKTEST_TIER_LIMIT');
      throw new BacktestTierLimitError(
        `A comparison runs every precision your tier allows; the ${limits.tier} tier allows only ${limits.precisions.join(', ')}.`,
        limits,
      );
    }
    const comparisonId = randomUUID();
    const rows: NewBacktest[] = [];
    for (const precision of limits.precisions) {
      const { detailTimeframe, latencyMs, ...common } = request;
      const own = {
        ...common,
        precision,
        detailTimeframe: precision === 'hybrid' ? detailTimeframe : undefined,
        latencyMs: precision === 'tick' ? latencyMs : undefined,
      };
      const row = await this.plan(user, limits, own, precision);
      rows.push({ ...row, comparisonId, idempotencyKey: null, requestHash: null });
    }
    const outcome = await this.insert(user, limits, rows, {
      comparison: { id: comparisonId, precisions: limits.precisions },
    });
    if ('replay' in outcome) throw new Error('a comparison cannot be a replay');
    await this.enqueue(outcome.rows);
    return { comparisonId, backtests: outcome.rows };
  }

  private normalize<T extends Omit<BacktestRequest, 'precision'>>(raw: T): T {
    return { ...raw, exchange: normalizeExchange(raw.exchange), symbol: parseSymbol(raw.symbol).symbol };
  }

  private async replay(ownerId: string, key: string, hash: string): Promise<BacktestRecord | undefined> {
    const found = await this.backtests.findByIdempotencyKey(ownerId, key);
    if (!found) return undefined;
    if (found.requestHash !== hash) throw new IdempotencyKeyReusedError();
    return found.record;
  }

  /** Tier and data checks of one precision; the row to insert (without the owner-locked checks). */
  private async plan(
    user: Submitter,
    limits: TierLimits,
    request: BacktestRequest,
    precision: Precision,
  ): Promise<Omit<NewBacktest, 'idempotencyKey' | 'requestHash'>> {
    const problem = checkPlan(request, precision, limits);
    if (problem?.kind === 'invalid') throw new BacktestInputError(problem.errors);
    if (problem?.kind === 'tier') {
      this.reject(user.tier, 'BACKTEST_TIER_LIMIT');
      throw new BacktestTierLimitError(problem.message, limits);
    }
    const tfMs = timeframeToMs(request.timeframe)!;
    const { detailTimeframe } = await this.data.check(request, precision, tfMs);
    return {
      id: randomUUID(),
      ownerId: user.id,
      strategyId: request.strategyId,
      strategyVersion: request.version ?? 0,
      comparisonId: null,
      tier: user.tier,
      precision,
      exchange: request.exchange,
      symbol: request.symbol,
      timeframe: request.timeframe,
      detailTimeframe,
      latencyMs: precision === 'tick' ? (request.latencyMs ?? DEFAULT_LATENCY_MS) : null,
      from: request.from,
      to: request.to,
      initialCapital: request.initialCapital,
      feeRate: request.feeRate ?? DEFAULT_FEE_RATE,
      slippageBps: precision === 'tick' ? 0 : (request.slippageBps ?? 0),
    };
  }

  private async insert(
    user: Submitter,
    limits: TierLimits,
    rows: NewBacktest[],
    options: {
      idempotencyKey?: string;
      requestHash?: string | null;
      comparison?: { id: string; precisions: Precision[] };
    },
  ): Promise<{ rows: BacktestRecord[] } | { replay: BacktestRecord }> {
    try {
      return await this.backtests.transaction(async (m) => {
        const version = await this.strategies.versionForBacktest(
          m,
          user.id,
          rows[0].strategyId,
          rows[0].strategyVersion === 0 ? undefined : rows[0].strategyVersion,
        );
        await this.backtests.lockOwner(m, user.id);
        if (options.idempotencyKey !== undefined) {
          const found = await this.backtests.findByIdempotencyKey(user.id, options.idempotencyKey, m);
          if (found && found.requestHash !== options.requestHash) throw new IdempotencyKeyReusedError();
          if (found) return { replay: found.record };
        }
        const now = Date.now();
        const day = utcDay(now);
        const usage = await this.backtests.usage(user.id, day.start, m);
        if (usage.today + rows.length > limits.dailyBacktests) {
          throw new BacktestQuotaExceededError(limits.dailyBacktests, day.end, now);
        }
        if (usage.active + rows.length > limits.maxConcurrent) {
          throw new BacktestConcurrencyLimitError(limits.maxConcurrent, usage.active);
        }
        if (options.comparison)
          await this.backtests.insertComparison(m, user.id, options.comparison.id, options.comparison.precisions);
        return {
          rows: await this.backtests.insert(
            m,
            rows.map((r) => ({ ...r, strategyVersion: version.version })),
          ),
        };
      });
    } catch (error) {
      if (error instanceof BacktestQuotaExceededError || error instanceof BacktestConcurrencyLimitError) {
        this.reject(user.tier, error.code);
      }
      throw error;
    }
  }

  /**
   * Backtests left active without a live job (an API that died between its commit and the
   * enqueue, a job that stalled too often): queued ones are enqueued again (the job id makes
   * that a no-op when the job exists), the others are failed so they free their slot.
   */
  async reconcile(olderThanMs: number): Promise<{ requeued: number; failed: number }> {
    const queue = this.producer.queue('backtests');
    let requeued = 0;
    let failed = 0;
    for (const b of await this.backtests.staleActive(olderThanMs, 500)) {
      const state = await queue.getJobState(b.id);
      if (state !== 'unknown' && state !== 'failed' && state !== 'completed') continue;
      if (b.status === 'queued' && state === 'unknown') {
        await this.producer.add('backtests', 'backtest.run', { backtestId: b.id }, this.jobOptions(b));
        requeued++;
      } else if (
        await this.backtests.finish(b.id, 'failed', {
          code: 'BACKTEST_LOST',
          message: `The backtest's job ended without storing a result (job state: ${state}).`,
        })
      ) {
        failed++;
      }
    }
    if (requeued + failed > 0) this.logger.warn(`reconciled backtests: ${requeued} enqueued again, ${failed} failed`);
    return { requeued, failed };
  }

  private jobOptions(b: { id: string; tier: TierName }): JobsOptions {
    return {
      jobId: b.id,
      priority: TIER_PRIORITY[b.tier],
      attempts: this.config.env.BACKTEST_ATTEMPTS,
      backoff: { type: 'exponential', delay: 2_000 },
    };
  }

  private async enqueue(rows: BacktestRecord[]): Promise<void> {
    try {
      await Promise.all(
        rows.map((b) => this.producer.add('backtests', 'backtest.run', { backtestId: b.id }, this.jobOptions(b))),
      );
    } catch (error) {
      // Nothing half-submitted: without its job a queued row would hold a concurrency slot.
      await this.backtests
        .deleteQueued(rows.map((r) => r.id))
        .catch((e: Error) => this.logger.error(`cleanup failed: ${e.message}`));
      throw error;
    }
    for (const b of rows) backtestsSubmitted().inc({ tier: b.tier, precision: b.precision });
  }

  private reject(tier: TierName, code: string): void {
    backtestsRejected().inc({ tier, code });
  }
}

function hashRequest(kind: string, request: object): string {
  return createHash('sha256').update(kind).update(canonicalJson(request)).digest('hex');
}
