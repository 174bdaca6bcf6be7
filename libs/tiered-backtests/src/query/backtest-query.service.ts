import { Injectable, Logger } from '@nestjs/common';
import { downsampleEquity, type Trade } from '@app/engine';
import { decodeCursor, encodeCursor, JobProducer, ValidationFailedError } from '@app/platform';
import { BacktestNotFinishedError, BacktestNotFoundError } from '../backtest.errors';
import { backtestsFinished } from '../backtest.metrics';
import { BacktestFilter, BacktestRecord, BacktestRepository, BacktestResultRecord } from '../backtest.repository';
import { compareRuns, ComparisonReport } from '../domain/compare';
import { TERMINAL_STATUSES, TIERS, TierName, utcDay } from '../domain/tiers';

export interface BacktestView {
  backtest: BacktestRecord;
  result: BacktestResultRecord | null;
}

const badCursor = () =>
  new ValidationFailedError([{ field: 'cursor', message: 'is not a cursor this service issued' }]);

/** Reads of backtests for their owner: status, results, trades, equity, comparisons; and cancel. */
@Injectable()
export class BacktestQueryService {
  private readonly logger = new Logger(BacktestQueryService.name);

  constructor(
    private readonly backtests: BacktestRepository,
    private readonly producer: JobProducer,
  ) {}

  async get(ownerId: string, id: string): Promise<BacktestView> {
    const backtest = await this.backtests.find(ownerId, id);
    if (!backtest) throw new BacktestNotFoundError(id);
    const result = backtest.status === 'completed' ? ((await this.backtests.result(id)) ?? null) : null;
    return { backtest, result };
  }

  async list(ownerId: string, filter: BacktestFilter, page: { limit?: number; cursor?: string }) {
    const after = page.cursor === undefined ? undefined : decodeCursor(page.cursor);
    if (page.cursor !== undefined && !after) throw badCursor();
    const found = await this.backtests.list(ownerId, filter, { limit: page.limit ?? 50, after });
    return { items: found.items, nextCursor: found.next ? encodeCursor(found.next) : null };
  }

  private async completed(ownerId: string, id: string): Promise<BacktestRecord> {
    const backtest = await this.backtests.find(ownerId, id);
    if (!backtest) throw new BacktestNotFoundError(id);
    if (backtest.status !== 'completed') throw new BacktestNotFinishedError(id, backtest.status);
    return backtest;
  }

  /** Trades in time order; the cursor is the position of the last one returned. */
  async trades(ownerId: string, id: string, page: { limit?: number; cursor?: string }) {
    await this.completed(ownerId, id);
    let afterSeq: number | undefined;
    if (page.cursor !== undefined) {
      const m = /^t(\d{1,9})$/.exec(Buffer.from(page.cursor, 'base64url').toString('utf8'));
      if (!m) throw badCursor();
      afterSeq = Number(m[1]);
    }
    const limit = page.limit ?? 50;
    const rows = await this.backtests.trades(id, { afterSeq, limit: limit + 1 });
    const items = rows.slice(0, limit);
    const nextCursor =
      rows.length > limit ? Buffer.from(`t${items[items.length - 1].seq}`).toString('base64url') : null;
    return { items, nextCursor };
  }

  async worstTrades(ownerId: string, id: string, count: number): Promise<Trade[]> {
    await this.completed(ownerId, id);
    return this.backtests.worstTrades(id, count);
  }

  /**
   * The equity curve: as the engine downsampled it (≤ 2,000 points) without `points`, else the
   * full curve downsampled to `points` (first, last and each bucket's extremes kept).
   */
  async equity(ownerId: string, id: string, points?: number) {
    await this.completed(ownerId, id);
    if (points === undefined) {
      const stored = await this.backtests.downsampledEquity(id);
      if (!stored) throw new BacktestNotFinishedError(id, 'completed without a stored curve');
      return { points: stored.time.length, totalPoints: stored.bars, time: stored.time, equity: stored.equity };
    }
    const curve = await this.backtests.equity(id);
    if (!curve) throw new BacktestNotFinishedError(id, 'completed without a stored curve');
    const sampled = downsampleEquity(curve.time, curve.equity, points);
    return {
      points: sampled.time.length,
      totalPoints: curve.time.length,
      time: Array.from(sampled.time),
      equity: Array.from(sampled.equity),
    };
  }

  /**
   * Cancels: a queued backtest is cancelled and its job removed; a running one is flagged and
   * stops at its next progress point (the worker marks it `cancelled`).
   */
  async cancel(ownerId: string, id: string): Promise<BacktestRecord> {
    const status = await this.backtests.requestCancel(ownerId, id);
    if (status === 'cancelled') {
      const backtest = (await this.backtests.find(ownerId, id))!;
      backtestsFinished().inc({ tier: backtest.tier, precision: backtest.precision, outcome: 'cancelled' });
      // A job a worker took meanwhile is left alone: the worker sees the row cancelled and skips it.
      await this.producer
        .queue('backtests')
        .remove(id)
        .catch((e: Error) => this.logger.warn(`could not remove the job of cancelled backtest ${id}: ${e.message}`));
      return backtest;
    }
    const backtest = await this.backtests.find(ownerId, id);
    if (!backtest) throw new BacktestNotFoundError(id);
    return backtest;
  }

  async usage(ownerId: string, tier: TierName, now = Date.now()) {
    const day = utcDay(now);
    const used = await this.backtests.usage(ownerId, day.start);
    const limits = TIERS[tier];
    return {
      tier,
      limits,
      usage: {
        backtestsToday: used.today,
        backtestsLeftToday: Math.max(0, limits.dailyBacktests - used.today),
        active: used.active,
        resetAt: new Date(day.end).toISOString(),
      },
    };
  }

  /** The comparison's backtests and, once all of them ended, the report of their differences. */
  async comparison(
    ownerId: string,
    comparisonId: string,
  ): Promise<{ backtests: BacktestRecord[]; report: ComparisonReport | null }> {
    const backtests = await this.backtests.byComparison(ownerId, comparisonId);
    if (backtests.length === 0) throw new BacktestNotFoundError(comparisonId, 'Comparison');
    if (!backtests.every((b) => TERMINAL_STATUSES.includes(b.status))) return { backtests, report: null };
    const done = backtests.filter((b) => b.status === 'completed');
    const runs = await Promise.all(
      done.map(async (b) => {
        const result = (await this.backtests.result(b.id))!;
        return {
          precision: b.precision,
          metrics: result.metrics,
          envelope: result.envelope,
          detailCoverage: result.detailCoverage,
          trades: await this.backtests.trades(b.id),
        };
      }),
    );
    return { backtests, report: runs.length > 0 ? compareRuns(runs) : null };
  }
}
