import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { DataSource, QueryRunner } from 'typeorm';
import type { CandleSeries, TradeSeries } from '@app/engine';
import { preparedQuery } from '@app/platform';
import { copyFloatColumns, sqlLiteral } from './binary-copy';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function checkedId(id: string): string {
  if (!UUID.test(id)) throw new Error(`not an instrument id: ${id}`);
  return id;
}

function checkedMs(ms: number): number {
  if (!Number.isSafeInteger(ms)) throw new Error(`not an epoch-millisecond time: ${ms}`);
  return ms;
}

/** `to_timestamp` of an epoch-ms literal: exact to the millisecond. */
const ts = (ms: number) => `to_timestamp(${checkedMs(ms)}::numeric / 1000)`;

/**
 * A write to market data in one transaction: rows are streamed into temporary stage tables
 * with COPY, then moved into the series tables in one `INSERT … ON CONFLICT DO NOTHING`, so a
 * re-import of the same bars changes nothing and a crash leaves nothing half-written.
 * Stage lines are tab-separated text whose prices are the source's own digits.
 */
export class MarketWrite {
  private copy: Writable | null = null;
  private staged: 'candles' | 'trades' | null = null;

  constructor(
    readonly runner: QueryRunner,
    private readonly client: PoolClient,
  ) {}

  /** Starts streaming candle lines `timeMs\topen\thigh\tlow\tclose\tvolume\n`. */
  async beginCandles(): Promise<void> {
    await this.runner.query(
      `CREATE TEMP TABLE IF NOT EXISTS stage_candles
         (t bigint NOT NULL, open numeric, high numeric, low numeric, close numeric, volume numeric)
       ON COMMIT DROP`,
    );
    this.copy = this.client.query(copyFrom('COPY stage_candles FROM STDIN'));
    this.staged = 'candles';
  }

  /** Starts streaming trade lines `tradeId\ttimeMs\tside\tprice\tamount\n` (ids must not contain tabs). */
  async beginTrades(): Promise<void> {
    await this.runner.query(
      `CREATE TEMP TABLE IF NOT EXISTS stage_trades
         (trade_id text NOT NULL, t bigint NOT NULL, side smallint, price numeric, amount numeric)
       ON COMMIT DROP`,
    );
    this.copy = this.client.query(copyFrom('COPY stage_trades FROM STDIN'));
    this.staged = 'trades';
  }

  /** Writes staged lines, waiting when PostgreSQL is slower than the parser. */
  async write(lines: string): Promise<void> {
    if (!this.copy) throw new Error('MarketWrite: begin a stage first');
    if (!this.copy.write(lines)) await once(this.copy, 'drain');
  }

  /** Ends the COPY and moves the staged rows into the instrument's series; returns how many were new. */
  async commitStage(instrumentId: string): Promise<{ staged: number; inserted: number }> {
    const copy = this.copy;
    if (!copy) throw new Error('MarketWrite: nothing staged');
    const finished = once(copy, 'finish');
    copy.end();
    await finished;
    this.copy = null;
    const id = checkedId(instrumentId);
    const table = this.staged === 'candles' ? 'stage_candles' : 'stage_trades';
    const [{ count }] = (await this.runner.query(`SELECT count(*)::int AS count FROM ${table}`)) as [{ count: number }];
    const insert =
      this.staged === 'candles'
        ? `INSERT INTO market_candles (instrument_id, open_time, open, high, low, close, volume)
           SELECT $1, to_timestamp(t::numeric / 1000), open, high, low, close, volume FROM stage_candles ORDER BY t
           ON CONFLICT DO NOTHING`
        : `INSERT INTO market_trades (instrument_id, trade_id, time, side, price, amount)
           SELECT $1, trade_id, to_timestamp(t::numeric / 1000), side, price, amount FROM stage_trades ORDER BY t
           ON CONFLICT DO NOTHING`;
    const result = (await this.runner.query(insert, [id], true)) as { affected?: number };
    await this.runner.query(`TRUNCATE ${table}`);
    this.staged = null;
    return { staged: count, inserted: result.affected ?? 0 };
  }

  /** Records the stored candle timeframe (first candle import) and bumps the data version. */
  async markChanged(instrumentId: string, candleTimeframeMs?: number): Promise<number> {
    const result = (await this.runner.query(
      `UPDATE market_instruments
          SET data_version = data_version + 1, updated_at = now(),
              candle_timeframe_ms = COALESCE(candle_timeframe_ms, $2)
        WHERE id = $1 RETURNING data_version`,
      [instrumentId, candleTimeframeMs ?? null],
      true,
    )) as { records: Array<{ data_version: string }> };
    return Number(result.records[0]?.data_version ?? 0);
  }
}

export interface SeriesRange {
  /** Inclusive, epoch ms. */
  from: number;
  /** Exclusive, epoch ms. */
  to: number;
}

export interface CoverageStats {
  count: number;
  first: number | null;
  last: number | null;
}

export interface StoredGap {
  /** Open time of the last bar before the gap. */
  after: number;
  /** Open time of the first bar after it. */
  before: number;
}

/** Raw access to stored series: transactional bulk writes and typed-array reads. */
@Injectable()
export class MarketStore {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Runs `work` in one transaction on one connection; rolls everything back if it throws. */
  async write<T>(work: (write: MarketWrite) => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    const client = (await runner.connect()) as PoolClient;
    try {
      await runner.startTransaction();
      const result = await work(new MarketWrite(runner, client));
      await runner.commitTransaction();
      return result;
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw error;
    } finally {
      await runner.release();
    }
  }

  private async withClient<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner('slave');
    const client = (await runner.connect()) as PoolClient;
    try {
      return await work(client);
    } finally {
      await runner.release();
    }
  }

  /** Stored candles of one instrument in `[from, to)`, as the engine's typed arrays. */
  async loadCandles(
    instrumentId: string,
    range: SeriesRange,
    timeframeMs: number,
    limit?: number,
  ): Promise<CandleSeries> {
    const query = `SELECT (extract(epoch FROM open_time) * 1000)::float8, open::float8, high::float8, low::float8,
        close::float8, volume::float8
      FROM market_candles
      WHERE instrument_id = ${sqlLiteral(checkedId(instrumentId))} AND open_time >= ${ts(range.from)} AND open_time < ${ts(range.to)}
      ORDER BY open_time${limit ? ` LIMIT ${Math.floor(limit)}` : ''}`;
    const [time, open, high, low, close, volume] = await this.withClient((c) => copyFloatColumns(c, query, 6));
    return { time, open, high, low, close, volume, timeframeMs };
  }

  /** Stored trade prints of one instrument in `[from, to)`, in time order (ties by trade id). */
  async loadTrades(instrumentId: string, range: SeriesRange, limit?: number): Promise<TradeSeries> {
    const query = `SELECT (extract(epoch FROM time) * 1000)::float8, price::float8, amount::float8, side::float8
      FROM market_trades
      WHERE instrument_id = ${sqlLiteral(checkedId(instrumentId))} AND time >= ${ts(range.from)} AND time < ${ts(range.to)}
      ORDER BY time, trade_id${limit ? ` LIMIT ${Math.floor(limit)}` : ''}`;
    const [time, price, amount, side] = await this.withClient((c) => copyFloatColumns(c, query, 4));
    return { time, price, amount, side: Int8Array.from(side) };
  }

  /** Up to `limit` trades of `[from, to)` in time order: the first ones, or the last ones (`order: 'last'`). */
  async listTrades(
    instrumentId: string,
    range: SeriesRange,
    limit: number,
    order: 'first' | 'last',
  ): Promise<Array<{ time: number; id: string; side: number; price: string; amount: string }>> {
    const direction = order === 'last' ? 'DESC' : 'ASC';
    const rows: Array<{ t: string; trade_id: string; side: number; price: string; amount: string }> =
      await this.dataSource.query(
        `SELECT (extract(epoch FROM time) * 1000)::bigint AS t, trade_id, side, price::text, amount::text
           FROM market_trades WHERE instrument_id = $1 AND time >= to_timestamp($2::numeric / 1000)
            AND time < to_timestamp($3::numeric / 1000)
          ORDER BY time ${direction}, trade_id ${direction} LIMIT $4`,
        [instrumentId, range.from, range.to, limit],
      );
    if (order === 'last') rows.reverse();
    return rows.map((r) => ({ time: Number(r.t), id: r.trade_id, side: r.side, price: r.price, amount: r.amount }));
  }

  /** Refreshes the planner statistics of a series table (after bulk loads). */
  async analyze(kind: 'candles' | 'trades'): Promise<void> {
    await this.dataSource.query(kind === 'candles' ? 'ANALYZE market_candles' : 'ANALYZE market_trades');
  }

  /** Time of the first print at or after `from` (an index probe), or null. */
  async firstTradeTime(instrumentId: string, from: number): Promise<number | null> {
    const rows: Array<{ t: string }> = await this.dataSource.query(
      `SELECT (extract(epoch FROM time) * 1000)::bigint AS t FROM market_trades
        WHERE instrument_id = $1 AND time >= to_timestamp($2::numeric / 1000) ORDER BY time LIMIT 1`,
      [instrumentId, from],
    );
    return rows[0] ? Number(rows[0].t) : null;
  }

  /** Whether any candle (or print) lies in the range: one index probe, for checks that need no count. */
  async hasData(kind: 'candles' | 'trades', instrumentId: string, range: SeriesRange): Promise<boolean> {
    const [table, column] = kind === 'candles' ? ['market_candles', 'open_time'] : ['market_trades', 'time'];
    const rows: unknown[] = await preparedQuery(
      this.dataSource,
      `SELECT 1 FROM ${table} WHERE instrument_id = $1 AND ${column} >= to_timestamp($2::numeric / 1000)
          AND ${column} < to_timestamp($3::numeric / 1000) LIMIT 1`,
      [instrumentId, range.from, range.to],
    );
    return rows.length > 0;
  }

  async candleStats(instrumentId: string, range: SeriesRange): Promise<CoverageStats> {
    return this.stats('market_candles', 'open_time', instrumentId, range);
  }

  async tradeStats(instrumentId: string, range: SeriesRange): Promise<CoverageStats> {
    return this.stats('market_trades', 'time', instrumentId, range);
  }

  private async stats(table: string, column: string, instrumentId: string, range: SeriesRange): Promise<CoverageStats> {
    const [row]: Array<{ count: number; first: string | null; last: string | null }> = await this.dataSource.query(
      `SELECT count(*)::int AS count, (extract(epoch FROM min(${column})) * 1000)::bigint AS first,
              (extract(epoch FROM max(${column})) * 1000)::bigint AS last
         FROM ${table} WHERE instrument_id = $1 AND ${column} >= to_timestamp($2::numeric / 1000)
          AND ${column} < to_timestamp($3::numeric / 1000)`,
      [instrumentId, range.from, range.to],
    );
    return {
      count: row.count,
      first: row.first === null ? null : Number(row.first),
      last: row.last === null ? null : Number(row.last),
    };
  }

  /** Holes in the stored candles of `[from, to)`: consecutive bars further apart than one bar. */
  async candleGaps(
    instrumentId: string,
    range: SeriesRange,
    timeframeMs: number,
    limit: number,
  ): Promise<{ gaps: StoredGap[]; total: number; missingBars: number }> {
    const rows: Array<{ after: string; before: string; total: number; missing: string }> = await this.dataSource.query(
      `WITH steps AS (
         SELECT open_time AS before, lag(open_time) OVER (ORDER BY open_time) AS after
           FROM market_candles
          WHERE instrument_id = $1 AND open_time >= to_timestamp($2::numeric / 1000) AND open_time < to_timestamp($3::numeric / 1000)
       ), holes AS (
         SELECT after, before FROM steps WHERE before - after > make_interval(secs => $4::numeric / 1000)
       )
       SELECT (extract(epoch FROM after) * 1000)::bigint AS after, (extract(epoch FROM before) * 1000)::bigint AS before,
              count(*) OVER ()::int AS total,
              sum((extract(epoch FROM before - after) * 1000)::bigint / $4 - 1) OVER ()::bigint AS missing
         FROM holes ORDER BY after LIMIT $5`,
      [instrumentId, range.from, range.to, timeframeMs, limit],
    );
    return {
      gaps: rows.map((r) => ({ after: Number(r.after), before: Number(r.before) })),
      total: rows[0]?.total ?? 0,
      missingBars: Number(rows[0]?.missing ?? 0),
    };
  }
}
