import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { BacktestMetrics, DetailCoverage, Envelope, Precision, Trade } from '@app/engine';
import { afterCursorSql, cursorTimeSql, preparedQuery, type ListCursor } from '@app/platform';
import type { BacktestStatus, TierName } from './domain/tiers';
import type { EngineOutput } from './engine/engine-protocol';

export interface BacktestRecord {
  id: string;
  ownerId: string;
  strategyId: string;
  strategyVersion: number;
  comparisonId: string | null;
  status: BacktestStatus;
  progress: number;
  tier: TierName;
  precision: Precision;
  exchange: string;
  symbol: string;
  timeframe: string;
  detailTimeframe: string | null;
  latencyMs: number | null;
  from: number;
  to: number;
  initialCapital: number;
  feeRate: number;
  slippageBps: number;
  cancelRequested: boolean;
  attempts: number;
  error: { code: string; message: string } | null;
  timings: BacktestTimings | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export interface BacktestTimings {
  queueWaitMs: number;
  loadMs: number;
  runMs: number;
  /** From taking the job to the result ready to store (the store itself is the completing transaction). */
  totalMs: number;
  bars: number;
  barsPerSecond: number;
}

export type NewBacktest = Omit<
  BacktestRecord,
  | 'status'
  | 'progress'
  | 'cancelRequested'
  | 'attempts'
  | 'error'
  | 'timings'
  | 'createdAt'
  | 'startedAt'
  | 'finishedAt'
> & { idempotencyKey: string | null; requestHash: string | null };

export interface BacktestResultRecord {
  engineVersion: string;
  fingerprint: string;
  metrics: BacktestMetrics;
  envelope: Envelope | null;
  detailCoverage: DetailCoverage | null;
  bars: number;
}

export interface BacktestFilter {
  status?: BacktestStatus;
  strategyId?: string;
  symbol?: string;
  precision?: Precision;
}

interface Row {
  id: string;
  owner_id: string;
  strategy_id: string;
  strategy_version: number;
  comparison_id: string | null;
  status: BacktestStatus;
  progress: number;
  tier: TierName;
  precision: Precision;
  exchange: string;
  symbol: string;
  timeframe: string;
  detail_timeframe: string | null;
  latency_ms: number | null;
  range_from: Date;
  range_to: Date;
  initial_capital: number;
  fee_rate: number;
  slippage_bps: number;
  cancel_requested: boolean;
  attempts: number;
  error_code: string | null;
  error_message: string | null;
  timings: BacktestTimings | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  cursor_ts: string;
}

const COLUMNS = `id, owner_id, strategy_id, strategy_version, comparison_id, status, progress, tier, precision, exchange,
  symbol, timeframe, detail_timeframe, latency_ms, range_from, range_to, initial_capital, fee_rate, slippage_bps,
  cancel_requested, attempts, error_code, error_message, timings, created_at, started_at, finished_at,
  ${cursorTimeSql()}`;

const toRecord = (r: Row): BacktestRecord => ({
  id: r.id,
  ownerId: r.owner_id,
  strategyId: r.strategy_id,
  strategyVersion: r.strategy_version,
  comparisonId: r.comparison_id,
  status: r.status,
  progress: r.progress,
  tier: r.tier,
  precision: r.precision,
  exchange: r.exchange,
  symbol: r.symbol,
  timeframe: r.timeframe,
  detailTimeframe: r.detail_timeframe,
  latencyMs: r.latency_ms,
  from: r.range_from.getTime(),
  to: r.range_to.getTime(),
  initialCapital: r.initial_capital,
  feeRate: r.fee_rate,
  slippageBps: r.slippage_bps,
  cancelRequested: r.cancel_requested,
  attempts: r.attempts,
  error: r.error_code === null ? null : { code: r.error_code, message: r.error_message ?? '' },
  timings: r.timings,
  createdAt: r.created_at,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
});

const bytes = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const unpair = (b: Buffer) => {
  const all = floats(b);
  const n = all.length / 2;
  return { time: Array.from(all.subarray(0, n)), equity: Array.from(all.subarray(n)) };
};
/** The spacing of evenly spaced times (bars without gaps), else undefined. */
function evenStep(time: Float64Array): number | undefined {
  if (time.length < 2) return time.length === 1 ? 1 : undefined;
  const step = time[1] - time[0];
  for (let i = 2; i < time.length; i++) if (time[i] - time[i - 1] !== step) return undefined;
  return step;
}

/** Two equal-length curves in one buffer: all times, then all values. */
const pairs = (time: Float64Array, value: Float64Array) => Buffer.concat([bytes(time), bytes(value)]);
const floats = (b: Buffer) => {
  const copy = new Float64Array(b.byteLength / 8);
  new Uint8Array(copy.buffer).set(b);
  return copy;
};

const TRADE_COLUMNS = `seq, side, entry_time, entry_price, exit_time, exit_price, entry_bar, exit_bar, units, pnl,
  pnl_pct, fees, slippage, exit_reason, ambiguous, partial_fills`;

interface TradeRow {
  seq: number;
  side: Trade['side'];
  entry_time: string;
  entry_price: number;
  exit_time: string;
  exit_price: number;
  entry_bar: number;
  exit_bar: number;
  units: number;
  pnl: number;
  pnl_pct: number;
  fees: number;
  slippage: number;
  exit_reason: Trade['exitReason'];
  ambiguous: boolean;
  partial_fills: number;
}

const toTrade = (r: TradeRow): Trade & { seq: number } => ({
  seq: r.seq,
  side: r.side,
  entryTime: Number(r.entry_time),
  entryPrice: r.entry_price,
  exitTime: Number(r.exit_time),
  exitPrice: r.exit_price,
  entryBar: r.entry_bar,
  exitBar: r.exit_bar,
  units: r.units,
  pnl: r.pnl,
  pnlPct: r.pnl_pct,
  fees: r.fees,
  slippage: r.slippage,
  exitReason: r.exit_reason,
  ambiguous: r.ambiguous,
  partialFills: r.partial_fills,
});

/** The only file with SQL for backtests. Reads of user-owned rows take the owner's id. */
@Injectable()
export class BacktestRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async transaction<T>(fn: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(fn);
  }

  /**
   * Takes the owner's submission lock until the transaction ends: submissions of one user
   * (through any number of API instances) check quota and concurrency one at a time.
   * Take it late in the transaction; everything after it runs serialised per user.
   */
  async lockOwner(m: EntityManager, ownerId: string): Promise<void> {
    await preparedQuery(m, `SELECT pg_advisory_xact_lock(hashtextextended('backtests:' || $1, 0))`, [ownerId]);
  }

  async findByIdempotencyKey(
    ownerId: string,
    key: string,
    m: EntityManager = this.db.manager,
  ): Promise<{ record: BacktestRecord; requestHash: string | null } | undefined> {
    const rows: Array<Row & { request_hash: string | null }> = await preparedQuery(
      m,
      `SELECT ${COLUMNS}, request_hash FROM backtests WHERE owner_id = $1 AND idempotency_key = $2`,
      [ownerId, key],
    );
    return rows[0] && { record: toRecord(rows[0]), requestHash: rows[0].request_hash };
  }

  /** Backtests queued or running, and submitted since `dayStart`. */
  async usage(
    ownerId: string,
    dayStart: number,
    m: EntityManager = this.db.manager,
  ): Promise<{ active: number; today: number }> {
    const [row]: Array<{ active: number; today: number }> = await preparedQuery(
      m,
      `SELECT count(*) FILTER (WHERE status IN ('queued', 'running'))::int AS active,
              count(*) FILTER (WHERE created_at >= $2)::int AS today
       FROM backtests WHERE owner_id = $1 AND (status IN ('queued', 'running') OR created_at >= $2)`,
      [ownerId, new Date(dayStart)],
    );
    return row;
  }

  async insertComparison(m: EntityManager, ownerId: string, id: string, precisions: Precision[]): Promise<void> {
    await m.query(`INSERT INTO backtest_comparisons (id, owner_id, precisions) VALUES ($1, $2, $3)`, [
      id,
      ownerId,
      precisions,
    ]);
  }

  async insert(m: EntityManager, rows: NewBacktest[]): Promise<BacktestRecord[]> {
    const inserted: BacktestRecord[] = [];
    for (const b of rows) {
      const out: Row[] = await preparedQuery(
        m,
        `INSERT INTO backtests (id, owner_id, strategy_id, strategy_version, comparison_id, status, tier, precision,
           exchange, symbol, timeframe, detail_timeframe, latency_ms, range_from, range_to, initial_capital, fee_rate,
           slippage_bps, idempotency_key, request_hash)
         VALUES ($1, $2, $3, $4, $5, 'queued', $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
         RETURNING ${COLUMNS}`,
        [
          b.id,
          b.ownerId,
          b.strategyId,
          b.strategyVersion,
          b.comparisonId,
          b.tier,
          b.precision,
          b.exchange,
          b.symbol,
          b.timeframe,
          b.detailTimeframe,
          b.latencyMs,
          new Date(b.from),
          new Date(b.to),
          b.initialCapital,
          b.feeRate,
          b.slippageBps,
          b.idempotencyKey,
          b.requestHash,
        ],
      );
      inserted.push(toRecord(out[0]));
    }
    return inserted;
  }

  /** Removes rows whose job could not be enqueued, so nothing half-submitted stays behind. */
  async deleteQueued(ids: string[]): Promise<void> {
    await this.db.query(`DELETE FROM backtests WHERE id = ANY ($1) AND status = 'queued'`, [ids]);
    await this.db.query(
      `DELETE FROM backtest_comparisons c WHERE NOT EXISTS (SELECT 1 FROM backtests b WHERE b.comparison_id = c.id)
         AND c.created_at > now() - interval '1 hour'`,
    );
  }

  async find(ownerId: string, id: string): Promise<BacktestRecord | undefined> {
    const rows: Row[] = await preparedQuery(
      this.db,
      `SELECT ${COLUMNS} FROM backtests WHERE id = $1 AND owner_id = $2`,
      [id, ownerId],
    );
    return rows[0] && toRecord(rows[0]);
  }

  async list(
    ownerId: string,
    filter: BacktestFilter,
    page: { limit: number; after?: ListCursor },
  ): Promise<{ items: BacktestRecord[]; next?: ListCursor }> {
    const params: unknown[] = [ownerId];
    const where = ['owner_id = $1'];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (filter.status) add('status = ?', filter.status);
    if (filter.strategyId) add('strategy_id = ?', filter.strategyId);
    if (filter.symbol) add('symbol = ?', filter.symbol);
    if (filter.precision) add('precision = ?', filter.precision);
    if (page.after) {
      where.push(afterCursorSql(page.after, params));
    }
    params.push(page.limit + 1);
    const rows: Row[] = await this.db.query(
      `SELECT ${COLUMNS} FROM backtests WHERE ${where.join(' AND ')}
       ORDER BY created_at DESC, id DESC LIMIT $${params.length}`,
      params,
    );
    const items = rows.slice(0, page.limit);
    const last = rows.length > page.limit ? rows[page.limit - 1] : undefined;
    return { items: items.map(toRecord), next: last && { createdAt: last.cursor_ts, id: last.id } };
  }

  async byComparison(ownerId: string, comparisonId: string): Promise<BacktestRecord[]> {
    const rows: Row[] = await this.db.query(
      `SELECT ${COLUMNS} FROM backtests WHERE comparison_id = $1 AND owner_id = $2 ORDER BY created_at, id`,
      [comparisonId, ownerId],
    );
    return rows.map(toRecord);
  }

  async result(backtestId: string): Promise<BacktestResultRecord | undefined> {
    const rows: Array<{
      engine_version: string;
      fingerprint: string;
      metrics: BacktestMetrics;
      envelope: Envelope | null;
      detail_coverage: DetailCoverage | null;
      bars: number;
    }> = await preparedQuery(
      this.db,
      `SELECT engine_version, fingerprint, metrics, envelope, detail_coverage, bars
       FROM backtest_results WHERE backtest_id = $1`,
      [backtestId],
    );
    const r = rows[0];
    return (
      r && {
        engineVersion: r.engine_version,
        fingerprint: r.fingerprint,
        metrics: r.metrics,
        envelope: r.envelope,
        detailCoverage: r.detail_coverage,
        bars: r.bars,
      }
    );
  }

  /** The full curve, one point per bar. */
  async equity(backtestId: string): Promise<{ time: Float64Array; equity: Float64Array } | undefined> {
    const rows: Array<{ equity_time: Buffer | null; start: string | null; step: string | null; equity_value: Buffer }> =
      await this.db.query(
        `SELECT equity_time, equity_time_start AS start, equity_time_step AS step, equity_value
         FROM backtest_results WHERE backtest_id = $1`,
        [backtestId],
      );
    const r = rows[0];
    if (!r) return undefined;
    const equity = floats(r.equity_value);
    if (r.equity_time) return { time: floats(r.equity_time), equity };
    const time = new Float64Array(equity.length);
    const start = Number(r.start);
    const step = Number(r.step);
    for (let i = 0; i < time.length; i++) time[i] = start + i * step;
    return { time, equity };
  }

  /** The curve as the engine downsampled it (at most 2,000 points, extremes kept). */
  async downsampledEquity(backtestId: string): Promise<{ time: number[]; equity: number[]; bars: number } | undefined> {
    const rows: Array<{ equity_downsampled: Buffer; bars: number }> = await preparedQuery(
      this.db,
      `SELECT equity_downsampled, bars FROM backtest_results WHERE backtest_id = $1`,
      [backtestId],
    );
    return rows[0] && { ...unpair(rows[0].equity_downsampled), bars: rows[0].bars };
  }

  /** Trades in order, after position `afterSeq`; all of them without `limit`. */
  async trades(
    backtestId: string,
    page: { afterSeq?: number; limit?: number } = {},
  ): Promise<Array<Trade & { seq: number }>> {
    const rows: TradeRow[] = await this.db.query(
      `SELECT ${TRADE_COLUMNS} FROM backtest_trades WHERE backtest_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
      [backtestId, page.afterSeq ?? -1, page.limit ?? null],
    );
    return rows.map(toTrade);
  }

  /** The `count` trades with the lowest pnl, worst first. */
  async worstTrades(backtestId: string, count: number): Promise<Array<Trade & { seq: number }>> {
    const rows: TradeRow[] = await this.db.query(
      `SELECT ${TRADE_COLUMNS} FROM backtest_trades WHERE backtest_id = $1 ORDER BY pnl, seq LIMIT $2`,
      [backtestId, count],
    );
    return rows.map(toTrade);
  }

  /**
   * Cancels: a queued backtest becomes `cancelled` at once; a running one is flagged and stops
   * at its next progress point. Returns the status after the call, undefined when not found
   * or already finished.
   */
  async requestCancel(ownerId: string, id: string): Promise<BacktestStatus | undefined> {
    const rows = await preparedQuery<{ status: BacktestStatus }>(
      this.db,
      `UPDATE backtests SET cancel_requested = true,
       status = CASE WHEN status = 'queued' THEN 'cancelled' ELSE status END,
       finished_at = CASE WHEN status = 'queued' THEN now() ELSE finished_at END
     WHERE id = $1 AND owner_id = $2 AND status IN ('queued', 'running')
     RETURNING status`,
      [id, ownerId],
    );
    return rows[0]?.status;
  }

  // ---- worker side: the job id is the backtest id; these are not user requests ----

  /**
   * Takes the backtest for a run (also again after a crash mid-run). Undefined when it already
   * finished; status `cancelled` when a cancel arrived first.
   */
  async claim(id: string): Promise<BacktestRecord | undefined> {
    const rows = await preparedQuery<Row>(
      this.db,
      `UPDATE backtests SET
       status = CASE WHEN cancel_requested THEN 'cancelled' ELSE 'running' END,
       finished_at = CASE WHEN cancel_requested THEN now() ELSE NULL END,
       started_at = COALESCE(started_at, clock_timestamp()), attempts = attempts + 1, progress = 0
     WHERE id = $1 AND status IN ('queued', 'running')
     RETURNING ${COLUMNS}`,
      [id],
    );
    return rows[0] && toRecord(rows[0]);
  }

  /** Stores progress; answers whether a cancel was asked for (true also when the row left `running`). */
  async progress(id: string, percent: number): Promise<boolean> {
    const rows = await preparedQuery<{ cancel_requested: boolean }>(
      this.db,
      `UPDATE backtests SET progress = GREATEST(progress, $2) WHERE id = $1 AND status = 'running'
     RETURNING cancel_requested`,
      [id, percent],
    );
    return rows.length === 0 || rows[0].cancel_requested;
  }

  /**
   * Stores the result and marks the backtest completed in one transaction; false (and nothing
   * stored) when it is no longer running: cancelled meanwhile, or stored by an earlier run.
   */
  async complete(id: string, output: EngineOutput, timings: BacktestTimings): Promise<boolean> {
    const step = evenStep(output.equityTime);
    const col = <K extends keyof Trade>(k: K) => output.trades.map((t) => t[k]);
    // One statement (data-modifying CTEs run atomically): the row, its result and its trades are
    // written together or not at all, in a single round trip.
    const rows: Array<{ stored: number }> = await preparedQuery(
      this.db,
      `WITH done AS (
         UPDATE backtests SET status = 'completed', progress = 100, finished_at = clock_timestamp(), timings = $2,
           error_code = NULL, error_message = NULL
         WHERE id = $1 AND status = 'running' AND NOT cancel_requested
         RETURNING id
       ), result AS (
         INSERT INTO backtest_results (backtest_id, engine_version, fingerprint, metrics, envelope, detail_coverage,
           equity_time, equity_time_start, equity_time_step, equity_value, equity_downsampled, bars)
         SELECT id, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13 FROM done
         RETURNING backtest_id
       ), trades AS (
         INSERT INTO backtest_trades (backtest_id, seq, side, entry_time, entry_price, exit_time, exit_price, entry_bar,
           exit_bar, units, pnl, pnl_pct, fees, slippage, exit_reason, ambiguous, partial_fills)
         SELECT done.id, s - 1, side, et, ep, xt, xp, eb, xb, u, pnl, pp, f, sl, xr, amb, pf
         FROM done, unnest($14::text[], $15::bigint[], $16::float8[], $17::bigint[], $18::float8[], $19::int[],
                           $20::int[], $21::float8[], $22::float8[], $23::float8[], $24::float8[], $25::float8[],
                           $26::text[], $27::bool[], $28::int[])
           WITH ORDINALITY AS t(side, et, ep, xt, xp, eb, xb, u, pnl, pp, f, sl, xr, amb, pf, s)
       )
       SELECT count(*)::int AS stored FROM result`,
      [
        id,
        JSON.stringify(timings),
        output.engineVersion,
        output.fingerprint,
        JSON.stringify(output.metrics),
        output.envelope && JSON.stringify(output.envelope),
        output.detailCoverage && JSON.stringify(output.detailCoverage),
        step === undefined ? bytes(output.equityTime) : null,
        step === undefined ? null : (output.equityTime[0] ?? 0),
        step ?? null,
        bytes(output.equityValue),
        pairs(output.downsampledTime, output.downsampledValue),
        output.bars,
        col('side'),
        col('entryTime'),
        col('entryPrice'),
        col('exitTime'),
        col('exitPrice'),
        col('entryBar'),
        col('exitBar'),
        col('units'),
        col('pnl'),
        col('pnlPct'),
        col('fees'),
        col('slippage'),
        col('exitReason'),
        col('ambiguous'),
        col('partialFills'),
      ],
    );
    return rows[0].stored === 1;
  }

  /** Ends a run that will not be retried, unless it already finished. */
  async finish(
    id: string,
    status: 'failed' | 'cancelled',
    error?: { code: string; message: string },
  ): Promise<boolean> {
    const [, affected]: [unknown, number] = await this.db.query(
      `UPDATE backtests SET status = $2, finished_at = clock_timestamp(), error_code = $3, error_message = $4
       WHERE id = $1 AND status IN ('queued', 'running')`,
      [id, status, error?.code ?? null, error?.message ?? null],
    );
    return affected > 0;
  }

  /** A run failed for a reason a retry may fix: back to queued, the reason kept for the user. */
  async requeue(id: string, message: string): Promise<void> {
    await this.db.query(
      `UPDATE backtests SET status = 'queued', progress = 0, error_code = 'BACKTEST_RETRYING', error_message = $2
       WHERE id = $1 AND status = 'running'`,
      [id, message],
    );
  }

  /** Active backtests created before `olderThanMs` ago: candidates for the orphan sweep. */
  async staleActive(
    olderThanMs: number,
    limit: number,
  ): Promise<Array<{ id: string; status: BacktestStatus; tier: TierName }>> {
    return this.db.query(
      `SELECT id, status, tier FROM backtests
       WHERE status IN ('queued', 'running') AND created_at < now() - make_interval(secs => $1::float8 / 1000)
       ORDER BY created_at LIMIT $2`,
      [olderThanMs, limit],
    );
  }
}
