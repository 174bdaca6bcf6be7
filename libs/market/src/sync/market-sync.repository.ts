import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { marketSyncLag } from './market-sync.metrics';
import { MarketStore } from '../store/market-store';
import type { BarGap } from './sync-plan';

/** One synced series: exchange, symbol and the (normalized) candle timeframe. */
export interface SyncSeriesKey {
  exchange: string;
  symbol: string;
  timeframe: string;
}

export interface SyncState extends SyncSeriesKey {
  instrumentId: string | null;
  trades: boolean;
  lastRunAt: Date | null;
  lastSuccessAt: Date | null;
  consecutiveFailures: number;
  lastError: string | null;
  lastErrorAt: Date | null;
  barsStored: number;
  tradesStored: number;
  gapsFound: number;
  lastBarTime: Date | null;
  lastTradeTime: Date | null;
}

/** What one run did, successful or not (pages stored before a failure stay stored). */
export interface SyncProgress {
  instrumentId: string | null;
  barsStored: number;
  tradesStored: number;
  gapsFound: number;
  lastBarTime: number | null;
  lastTradeTime: number | null;
}

export interface RecordedGap extends BarGap {
  timeframeMs: number;
  detectedAt: Date;
}

interface StateRow {
  exchange: string;
  symbol: string;
  timeframe: string;
  instrument_id: string | null;
  trades: boolean;
  last_run_at: Date | null;
  last_success_at: Date | null;
  consecutive_failures: number;
  last_error: string | null;
  last_error_at: Date | null;
  bars_stored: string;
  trades_stored: string;
  gaps_found: number;
  last_bar_time: Date | null;
  last_trade_time: Date | null;
}

const ms = (value: number | null) => (value === null ? null : new Date(value));

/** Sync state, recorded gaps and the per-series run lock. */
@Injectable()
export class MarketSyncRepository implements OnModuleInit {
  // The newest instance answers scrapes (tests boot several apps in one process).
  private static current?: MarketSyncRepository;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly store: MarketStore,
  ) {}

  onModuleInit(): void {
    MarketSyncRepository.current = this;
    marketSyncLag(async (g) => {
      const rows = await MarketSyncRepository.current?.lagSeconds().catch(() => undefined);
      if (!rows) return;
      g.reset();
      for (const r of rows)
        g.set({ exchange: r.exchange, symbol: r.symbol, timeframe: r.timeframe }, Math.round(r.lagSeconds));
    });
  }

  /** Seconds since each series' last successful run, measured by the database clock. */
  async lagSeconds(): Promise<Array<SyncSeriesKey & { lagSeconds: number }>> {
    const rows: Array<{ exchange: string; symbol: string; timeframe: string; lag: string }> =
      await this.dataSource.query(
        `SELECT exchange, symbol, timeframe,
              extract(epoch FROM now() - coalesce(last_success_at, created_at)) AS lag
         FROM market_sync_state`,
      );
    return rows.map((r) => ({
      exchange: r.exchange,
      symbol: r.symbol,
      timeframe: r.timeframe,
      lagSeconds: Number(r.lag),
    }));
  }

  /**
   * Runs `work` while holding a PostgreSQL advisory lock on the series, on a connection of its
   * own (released with it, also when the process dies). Null, without running, when another run
   * of the series holds it: a scheduled run and a retry of the previous one must not interleave.
   */
  async withSeriesLock<T>(key: SyncSeriesKey, work: () => Promise<T>): Promise<T | null> {
    const id = `${key.exchange}|${key.symbol}|${key.timeframe}`;
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      const [{ locked }] = (await runner.query(
        `SELECT pg_try_advisory_lock(hashtext('market-sync'), hashtext($1)) AS locked`,
        [id],
      )) as [{ locked: boolean }];
      if (!locked) return null;
      try {
        return await work();
      } finally {
        await runner.query(`SELECT pg_advisory_unlock(hashtext('market-sync'), hashtext($1))`, [id]);
      }
    } finally {
      await runner.release();
    }
  }

  /** Open time of the newest stored bar before `before` (the newest chunk's summary, or its times). */
  async lastCandleTime(instrumentId: string, before: number): Promise<number | null> {
    return this.store.lastTime('candles', instrumentId, before);
  }

  async lastTradeTime(instrumentId: string): Promise<number | null> {
    return this.store.lastTime('trades', instrumentId);
  }

  /** Records gaps (again found ones keep their first detection); returns how many were new. */
  async recordGaps(instrumentId: string, timeframeMs: number, gaps: readonly BarGap[]): Promise<number> {
    if (gaps.length === 0) return 0;
    const inserted: unknown[] = await this.dataSource.query(
      `INSERT INTO market_sync_gaps (instrument_id, timeframe_ms, gap_start, gap_end, missing_bars)
       SELECT $1, $2, to_timestamp(g.s::numeric / 1000), to_timestamp(g.e::numeric / 1000), g.n
         FROM unnest($3::bigint[], $4::bigint[], $5::int[]) AS g(s, e, n)
       ON CONFLICT (instrument_id, timeframe_ms, gap_start) DO NOTHING
       RETURNING gap_start`,
      [instrumentId, timeframeMs, gaps.map((g) => g.start), gaps.map((g) => g.end), gaps.map((g) => g.missing)],
    );
    return inserted.length;
  }

  async listGaps(instrumentId: string, limit: number): Promise<RecordedGap[]> {
    const rows: Array<{ tf: string; s: string; e: string; n: number; detected_at: Date }> = await this.dataSource.query(
      `SELECT timeframe_ms AS tf, (extract(epoch FROM gap_start) * 1000)::bigint AS s,
              (extract(epoch FROM gap_end) * 1000)::bigint AS e, missing_bars AS n, detected_at
         FROM market_sync_gaps WHERE instrument_id = $1 ORDER BY gap_start LIMIT $2`,
      [instrumentId, limit],
    );
    return rows.map((r) => ({
      timeframeMs: Number(r.tf),
      start: Number(r.s),
      end: Number(r.e),
      missing: r.n,
      detectedAt: r.detected_at,
    }));
  }

  async startRun(key: SyncSeriesKey, trades: boolean, at: number): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO market_sync_state (exchange, symbol, timeframe, trades, last_run_at)
       VALUES ($1, $2, $3, $4, to_timestamp($5::numeric / 1000))
       ON CONFLICT (exchange, symbol, timeframe) DO UPDATE
         SET trades = EXCLUDED.trades, last_run_at = EXCLUDED.last_run_at, updated_at = now()`,
      [key.exchange, key.symbol, key.timeframe, trades, at],
    );
  }

  /** Adds a run's progress to the series' totals; `error` null marks it successful. */
  async finishRun(key: SyncSeriesKey, progress: SyncProgress, error: string | null): Promise<void> {
    await this.dataSource.query(
      `UPDATE market_sync_state SET
          instrument_id = COALESCE($4, instrument_id),
          bars_stored = bars_stored + $5,
          trades_stored = trades_stored + $6,
          gaps_found = gaps_found + $7,
          last_bar_time = COALESCE($8, last_bar_time),
          last_trade_time = COALESCE($9, last_trade_time),
          last_success_at = CASE WHEN $10::text IS NULL THEN now() ELSE last_success_at END,
          consecutive_failures = CASE WHEN $10::text IS NULL THEN 0 ELSE consecutive_failures + 1 END,
          last_error = COALESCE($10, last_error),
          last_error_at = CASE WHEN $10::text IS NULL THEN last_error_at ELSE now() END,
          updated_at = now()
        WHERE exchange = $1 AND symbol = $2 AND timeframe = $3`,
      [
        key.exchange,
        key.symbol,
        key.timeframe,
        progress.instrumentId,
        progress.barsStored,
        progress.tradesStored,
        progress.gapsFound,
        ms(progress.lastBarTime),
        ms(progress.lastTradeTime),
        error,
      ],
    );
  }

  async state(key: SyncSeriesKey): Promise<SyncState | null> {
    const rows: StateRow[] = await this.dataSource.query(
      `SELECT * FROM market_sync_state WHERE exchange = $1 AND symbol = $2 AND timeframe = $3`,
      [key.exchange, key.symbol, key.timeframe],
    );
    const r = rows[0];
    if (!r) return null;
    return {
      exchange: r.exchange,
      symbol: r.symbol,
      timeframe: r.timeframe,
      instrumentId: r.instrument_id,
      trades: r.trades,
      lastRunAt: r.last_run_at,
      lastSuccessAt: r.last_success_at,
      consecutiveFailures: r.consecutive_failures,
      lastError: r.last_error,
      lastErrorAt: r.last_error_at,
      barsStored: Number(r.bars_stored),
      tradesStored: Number(r.trades_stored),
      gapsFound: r.gaps_found,
      lastBarTime: r.last_bar_time,
      lastTradeTime: r.last_trade_time,
    };
  }
}
