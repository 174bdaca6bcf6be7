import { Injectable } from '@nestjs/common';
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { InjectDataSource } from '@nestjs/typeorm';
import type { PoolClient } from 'pg';
import { Counter } from 'prom-client';
import { DataSource, QueryRunner } from 'typeorm';
import type { CandleSeries, TradeSeries } from '@app/engine';
import { onceMetric } from '@app/platform';
import { ChunkCorruptError } from '../market.errors';
import { copyRows, sqlLiteral } from './binary-copy';
import {
  ChunkDecodeError,
  chunkChecksum,
  decodeCandleTimes,
  decodeCandles,
  decodeTradeTimes,
  decodeTrades,
  formatScaled,
} from './chunk-codec';
import {
  ChunkRow,
  MergeOutcome,
  PendingCandle,
  PendingTrade,
  TRADE_CHUNK_MS,
  candleChunkSpan,
  chunkStartOf,
  mergeCandles,
  mergeTrades,
} from './chunk-merge';

export type SeriesKind = 'candles' | 'trades';

const TABLE: Record<SeriesKind, string> = { candles: 'market_candle_chunks', trades: 'market_trade_chunks' };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function checkedId(id: string): string {
  if (!UUID.test(id)) throw new Error(`not an instrument id: ${id}`);
  return id;
}

function checkedMs(ms: number): number {
  if (!Number.isSafeInteger(ms)) throw new Error(`not an epoch-millisecond time: ${ms}`);
  return ms;
}

const corruptChunks = () =>
  onceMetric(
    'market_chunk_corrupt_total',
    () =>
      new Counter({
        name: 'market_chunk_corrupt_total',
        help: 'Stored market-data chunks that failed their checksum or did not decode, by kind (candles, trades)',
        labelNames: ['kind'],
      }),
  );

/** Decodes a chunk's bytes after checking them against the stored checksum; corruption is an error, never numbers. */
function verified<T>(
  kind: SeriesKind,
  instrumentId: string,
  start: number,
  data: Buffer,
  checksum: number,
  decode: (b: Buffer) => T,
): T {
  let detail: string;
  if (chunkChecksum(data) !== checksum) detail = 'checksum mismatch';
  else {
    try {
      return decode(data);
    } catch (error) {
      if (!(error instanceof ChunkDecodeError)) throw error;
      detail = error.message;
    }
  }
  corruptChunks().inc({ kind });
  throw new ChunkCorruptError(instrumentId, kind, start, detail);
}

const meter = new AsyncLocalStorage<{ chunks: number }>();

/** Counts the chunk rows (packed or summary) that reads inside `work` touch: the cost of a read. */
export async function meterChunks<T>(work: () => Promise<T>): Promise<{ result: T; chunks: number }> {
  const counter = { chunks: 0 };
  const result = await meter.run(counter, work);
  return { result, chunks: counter.chunks };
}

function touched(n: number): void {
  const counter = meter.getStore();
  if (counter) counter.chunks += n;
}

/** Chunk rows are written this many to a statement. */
const ROWS_PER_INSERT = 32;
/** A sink writes its finished chunks once this many rows wait. */
const FLUSH_ROWS = 50_000;

/**
 * New rows of one series on their way into its chunks, inside the write's transaction. Rows are
 * grouped by chunk; finished chunks are merged with what is stored (read, merged, rewritten in
 * the same transaction) while the file is still being read, so memory holds about one chunk.
 */
export class ChunkSink<R extends PendingCandle | PendingTrade> {
  private groups = new Map<number, R[]>();
  private waiting = 0;
  private newest = -Infinity;
  staged = 0;
  inserted = 0;
  duplicates = 0;

  constructor(
    private readonly kind: SeriesKind,
    private readonly instrumentId: string,
    private readonly span: number,
    private readonly runner: QueryRunner,
    private readonly onReject: (line: number, reason: string) => void,
  ) {}

  add(row: R): void {
    const start = chunkStartOf(row.t, this.span);
    let group = this.groups.get(start);
    if (!group) this.groups.set(start, (group = []));
    group.push(row);
    if (start > this.newest) this.newest = start;
    this.waiting++;
    this.staged++;
  }

  /** Writes the chunks no later row of a time-ordered source can fall into, once enough rows wait. */
  async flushReady(): Promise<void> {
    if (this.waiting < FLUSH_ROWS) return;
    await this.writeGroups([...this.groups.keys()].filter((s) => s < this.newest));
  }

  async finish(): Promise<{ staged: number; inserted: number; duplicates: number }> {
    await this.writeGroups([...this.groups.keys()]);
    return { staged: this.staged, inserted: this.inserted, duplicates: this.duplicates };
  }

  private async writeGroups(starts: number[]): Promise<void> {
    starts.sort((a, b) => a - b);
    for (let i = 0; i < starts.length; i += ROWS_PER_INSERT) {
      const batch = starts.slice(i, i + ROWS_PER_INSERT);
      const stored = (await this.runner.query(
        `SELECT chunk_start::float8 AS start, data, checksum FROM ${TABLE[this.kind]}
          WHERE instrument_id = $1 AND chunk_start = ANY($2::bigint[])`,
        [this.instrumentId, batch],
      )) as Array<{ start: number; data: Buffer; checksum: number }>;
      const byStart = new Map(stored.map((r) => [Number(r.start), r]));
      const rows: ChunkRow[] = [];
      for (const start of batch) {
        const group = this.groups.get(start)!;
        this.groups.delete(start);
        this.waiting -= group.length;
        const old = byStart.get(start);
        let outcome: MergeOutcome;
        if (this.kind === 'candles') {
          const decoded = old
            ? verified('candles', this.instrumentId, start, old.data, old.checksum, (b) => decodeCandles(b, true))
            : null;
          outcome = mergeCandles(start, decoded, group as PendingCandle[]);
        } else {
          const decoded = old
            ? verified('trades', this.instrumentId, start, old.data, old.checksum, (b) =>
                decodeTrades(b, { mantissas: true, withIds: true }),
              )
            : null;
          outcome = mergeTrades(start, decoded, group as PendingTrade[]);
        }
        this.inserted += outcome.inserted;
        this.duplicates += outcome.duplicates;
        for (const r of outcome.rejections) {
          this.staged--;
          this.onReject(r.line, r.reason);
        }
        if (outcome.row) rows.push(outcome.row);
      }
      if (rows.length > 0) await this.upsert(rows);
    }
  }

  private async upsert(rows: ChunkRow[]): Promise<void> {
    const params: unknown[] = [this.instrumentId];
    const tuples = rows.map((r) => {
      const s = r.summary;
      const base = params.length;
      params.push(
        r.start,
        s.first,
        s.last,
        s.count,
        s.open,
        s.high,
        s.low,
        s.close,
        s.volume,
        r.data,
        r.checksum,
        r.digest,
      );
      const p = (k: number) => `$${base + k}`;
      return `($1, ${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}, ${p(6)}, ${p(7)}, ${p(8)}, ${p(9)}, ${p(10)}, ${p(11)}, ${p(12)})`;
    });
    await this.runner.query(
      `INSERT INTO ${TABLE[this.kind]}
         (instrument_id, chunk_start, first_time, last_time, row_count, open, high, low, close, volume, data, checksum, digest)
       VALUES ${tuples.join(', ')}
       ON CONFLICT (instrument_id, chunk_start) DO UPDATE SET
         first_time = EXCLUDED.first_time, last_time = EXCLUDED.last_time, row_count = EXCLUDED.row_count,
         open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low, close = EXCLUDED.close,
         volume = EXCLUDED.volume, data = EXCLUDED.data, checksum = EXCLUDED.checksum, digest = EXCLUDED.digest`,
      params,
    );
  }
}

/**
 * A write to market data in one transaction on one connection: the series' instrument row is
 * locked first, so writes of one series (imports, sync, demo seed) run one at a time, and a
 * crash or error rolls every chunk back to what it was.
 */
export class MarketWrite {
  constructor(readonly runner: QueryRunner) {}

  /** Serialises writers of one instrument until the transaction ends. */
  async lock(instrumentId: string): Promise<void> {
    await this.runner.query(`SELECT 1 FROM market_instruments WHERE id = $1 FOR UPDATE`, [instrumentId]);
  }

  candles(
    instrumentId: string,
    timeframeMs: number,
    onReject: (line: number, reason: string) => void,
  ): ChunkSink<PendingCandle> {
    return new ChunkSink('candles', checkedId(instrumentId), candleChunkSpan(timeframeMs), this.runner, onReject);
  }

  trades(instrumentId: string, onReject: (line: number, reason: string) => void): ChunkSink<PendingTrade> {
    return new ChunkSink('trades', checkedId(instrumentId), TRADE_CHUNK_MS, this.runner, onReject);
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

/** A chunk's row as read: where it starts and its verified bytes. */
interface RawChunk {
  start: number;
  data: Buffer;
  checksum: number;
}

interface ChunkMeta {
  start: number;
  first: number;
  last: number;
  count: number;
}

/** First index with `time[i] >= t`. */
function lowerBound(time: Float64Array, t: number): number {
  let lo = 0;
  let hi = time.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (time[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function concat(parts: Float64Array[], total: number): Float64Array {
  if (parts.length === 1 && parts[0].length === total) return parts[0];
  const out = new Float64Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Chunks fetched per query when paging through a range. */
const PAGE_CHUNKS = 32;

/**
 * Stored series as chunks (one row per instrument and chunk: packed columns plus a summary):
 * transactional merging writes, and reads that decode only the chunks a range touches.
 */
@Injectable()
export class MarketStore {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Runs `work` in one transaction on one connection; rolls everything back if it throws. */
  async write<T>(work: (write: MarketWrite) => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      const result = await work(new MarketWrite(runner));
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

  /**
   * The chunks of a series that may hold rows of `[from, to)`, in time order (or newest first),
   * a page at a time so memory holds a page, not the range.
   */
  async *chunks(
    kind: SeriesKind,
    instrumentId: string,
    range: SeriesRange,
    span: number,
    order: 'asc' | 'desc' = 'asc',
  ): AsyncGenerator<RawChunk> {
    const id = sqlLiteral(checkedId(instrumentId));
    const lo = chunkStartOf(checkedMs(Math.max(range.from, -8.64e15)), span);
    const to = checkedMs(Math.min(range.to, 8.64e15));
    let cursor: number | null = null;
    for (;;) {
      const after = cursor === null ? '' : ` AND chunk_start ${order === 'asc' ? '>' : '<'} ${cursor}`;
      const query = `SELECT chunk_start, data, checksum FROM ${TABLE[kind]}
        WHERE instrument_id = ${id} AND chunk_start >= ${lo} AND chunk_start < ${to}
          AND last_time >= ${checkedMs(range.from)}${after}
        ORDER BY chunk_start ${order === 'asc' ? 'ASC' : 'DESC'} LIMIT ${PAGE_CHUNKS}`;
      const page: RawChunk[] = [];
      await this.withClient((c) =>
        copyRows(c, query, (f) => {
          page.push({ start: Number(f[0]!.readBigInt64BE(0)), data: f[1]!, checksum: f[2]!.readInt32BE(0) });
        }),
      );
      touched(page.length);
      for (let i = 0; i < page.length; i++) {
        // Decoding happens between yields: let other requests' I/O run every few chunks.
        if (i % 8 === 7) await new Promise((resolve) => setImmediate(resolve));
        yield page[i];
      }
      if (page.length < PAGE_CHUNKS) return;
      cursor = page[page.length - 1].start;
    }
  }

  /** Stored candles of `[from, to)` chunk by chunk, in time order: bounded memory for long ranges. */
  async *candleChunks(instrumentId: string, range: SeriesRange, timeframeMs: number): AsyncGenerator<CandleSeries> {
    for await (const chunk of this.chunks('candles', instrumentId, range, candleChunkSpan(timeframeMs))) {
      const d = verified('candles', instrumentId, chunk.start, chunk.data, chunk.checksum, (b) => decodeCandles(b));
      const a = lowerBound(d.time, range.from);
      const b = lowerBound(d.time, range.to);
      if (b <= a) continue;
      const whole = a === 0 && b === d.time.length;
      const cut = (x: Float64Array) => (whole ? x : x.subarray(a, b));
      yield {
        time: cut(d.time),
        open: cut(d.open),
        high: cut(d.high),
        low: cut(d.low),
        close: cut(d.close),
        volume: cut(d.volume),
        timeframeMs,
      };
    }
  }

  /** Stored prints of `[from, to)` chunk by chunk, in time order. */
  async *tradeChunks(instrumentId: string, range: SeriesRange): AsyncGenerator<TradeSeries> {
    for await (const chunk of this.chunks('trades', instrumentId, range, TRADE_CHUNK_MS)) {
      const d = verified('trades', instrumentId, chunk.start, chunk.data, chunk.checksum, (b) => decodeTrades(b));
      const a = lowerBound(d.time, range.from);
      const b = lowerBound(d.time, range.to);
      if (b <= a) continue;
      const whole = a === 0 && b === d.time.length;
      yield {
        time: whole ? d.time : d.time.subarray(a, b),
        price: whole ? d.price : d.price.subarray(a, b),
        amount: whole ? d.amount : d.amount.subarray(a, b),
        side: whole ? d.side : d.side.subarray(a, b),
      };
    }
  }

  /** Stored candles of one instrument in `[from, to)`, as the engine's typed arrays (at most `limit`). */
  async loadCandles(
    instrumentId: string,
    range: SeriesRange,
    timeframeMs: number,
    limit?: number,
  ): Promise<CandleSeries> {
    const parts: CandleSeries[] = [];
    let total = 0;
    for await (const part of this.candleChunks(instrumentId, range, timeframeMs)) {
      parts.push(part);
      total += part.time.length;
      if (limit !== undefined && total >= limit) break;
    }
    const n = limit === undefined ? total : Math.min(total, Math.floor(limit));
    const col = (k: 'time' | 'open' | 'high' | 'low' | 'close' | 'volume') => {
      const whole = concat(
        parts.map((p) => p[k]),
        total,
      );
      return n === total && parts.length > 1 ? whole : whole.slice(0, n);
    };
    return {
      time: col('time'),
      open: col('open'),
      high: col('high'),
      low: col('low'),
      close: col('close'),
      volume: col('volume'),
      timeframeMs,
    };
  }

  /** Stored candles of `[from, to)` with their values as decimal text, exactly as imported (trailing zeros dropped). */
  async candleRows(
    instrumentId: string,
    range: SeriesRange,
    timeframeMs: number,
  ): Promise<Array<[time: number, open: string, high: string, low: string, close: string, volume: string]>> {
    const out: Array<[number, string, string, string, string, string]> = [];
    for await (const chunk of this.chunks('candles', instrumentId, range, candleChunkSpan(timeframeMs))) {
      const d = verified('candles', instrumentId, chunk.start, chunk.data, chunk.checksum, (b) =>
        decodeCandles(b, true),
      );
      const pe = d.priceExp;
      for (let i = lowerBound(d.time, range.from), end = lowerBound(d.time, range.to); i < end; i++) {
        out.push([
          d.time[i],
          formatScaled(d.open[i], pe),
          formatScaled(d.high[i], pe),
          formatScaled(d.low[i], pe),
          formatScaled(d.close[i], pe),
          formatScaled(d.volume[i], d.volumeExp),
        ]);
      }
    }
    return out;
  }

  /** Stored trade prints of one instrument in `[from, to)`, in time order. */
  async loadTrades(instrumentId: string, range: SeriesRange, limit?: number): Promise<TradeSeries> {
    const parts: TradeSeries[] = [];
    let total = 0;
    for await (const part of this.tradeChunks(instrumentId, range)) {
      parts.push(part);
      total += part.time.length;
      if (limit !== undefined && total >= limit) break;
    }
    const n = limit === undefined ? total : Math.min(total, Math.floor(limit));
    const side = new Int8Array(total);
    let at = 0;
    for (const p of parts) {
      side.set(p.side, at);
      at += p.side.length;
    }
    // One part is a view into a chunk's arrays: copy it so the caller owns what it gets.
    const cut = <T extends Float64Array | Int8Array>(whole: T): T =>
      (n === total && parts.length > 1 ? whole : whole.slice(0, n)) as T;
    return {
      time: cut(
        concat(
          parts.map((p) => p.time),
          total,
        ),
      ),
      price: cut(
        concat(
          parts.map((p) => p.price),
          total,
        ),
      ),
      amount: cut(
        concat(
          parts.map((p) => p.amount),
          total,
        ),
      ),
      side: n === total ? side : side.slice(0, n),
    };
  }

  /**
   * Bars of `timeframeMs` built from the chunk summaries alone (first open, max high, min low,
   * last close, summed volume), for timeframes that are whole multiples of the chunk span:
   * a 1d read of years of 1m candles touches one summary row a day and no packed bytes.
   */
  async candlesFromSummaries(
    instrumentId: string,
    range: SeriesRange,
    storedMs: number,
    timeframeMs: number,
    limit?: number,
  ): Promise<CandleSeries> {
    const rows: Array<{ t: number; o: number; h: number; l: number; c: number; v: number; n: number }> =
      await this.dataSource.query(
        `SELECT (floor(chunk_start / $4::float8) * $4::float8) AS t,
                (array_agg(open ORDER BY chunk_start))[1] AS o, max(high) AS h, min(low) AS l,
                (array_agg(close ORDER BY chunk_start DESC))[1] AS c, sum(volume) AS v, count(*)::int AS n
           FROM market_candle_chunks
          WHERE instrument_id = $1 AND chunk_start >= $2 AND chunk_start < $3
          GROUP BY 1 ORDER BY 1 ${limit !== undefined ? `LIMIT ${Math.floor(limit)}` : ''}`,
        [instrumentId, chunkStartOf(range.from, candleChunkSpan(storedMs)), range.to, timeframeMs],
      );
    touched(rows.reduce((sum, r) => sum + r.n, 0));
    return {
      time: Float64Array.from(rows, (r) => r.t),
      open: Float64Array.from(rows, (r) => r.o),
      high: Float64Array.from(rows, (r) => r.h),
      low: Float64Array.from(rows, (r) => r.l),
      close: Float64Array.from(rows, (r) => r.c),
      volume: Float64Array.from(rows, (r) => r.v),
      timeframeMs,
    };
  }

  /** Up to `limit` trades of `[from, to)` in time order: the first ones, or the last ones (`order: 'last'`). */
  async listTrades(
    instrumentId: string,
    range: SeriesRange,
    limit: number,
    order: 'first' | 'last',
  ): Promise<Array<{ time: number; id: string; side: number; price: string; amount: string }>> {
    type Out = { time: number; id: string; side: number; price: string; amount: string };
    const out: Out[] = [];
    const chunks = this.chunks('trades', instrumentId, range, TRADE_CHUNK_MS, order === 'last' ? 'desc' : 'asc');
    for await (const chunk of chunks) {
      const d = verified('trades', instrumentId, chunk.start, chunk.data, chunk.checksum, (b) =>
        decodeTrades(b, { mantissas: true, withIds: true }),
      );
      const a = lowerBound(d.time, range.from);
      const b = lowerBound(d.time, range.to);
      const row = (i: number): Out => ({
        time: d.time[i],
        id: d.id![i],
        side: d.side[i],
        price: formatScaled(d.price[i], d.priceExp),
        amount: formatScaled(d.amount[i], d.amountExp),
      });
      if (order === 'first') for (let i = a; i < b && out.length < limit; i++) out.push(row(i));
      else for (let i = b - 1; i >= a && out.length < limit; i--) out.push(row(i));
      if (out.length >= limit) break;
    }
    if (order === 'last') out.reverse();
    return out;
  }

  /**
   * A digest of exactly the stored data of `[from, to)`: the digest stored with each chunk that
   * lies wholly inside the range, and a hash of the decoded slice of each chunk the range cuts.
   * Equal stored data gives equal digests, any changed value changes it, and data outside the
   * range never enters it; no whole-range hashing of decoded arrays.
   */
  async seriesDigest(
    kind: SeriesKind,
    instrumentId: string,
    range: SeriesRange,
    timeframeMs?: number,
  ): Promise<string> {
    if (kind === 'candles' && timeframeMs === undefined) throw new Error('seriesDigest: candles need their timeframe');
    const hash = createHash('sha256');
    hash.update(`series-digest-v1\n${kind}:${range.from}:${range.to}\n`);
    const rows: Array<{ start: number; first: number; last: number; digest: Buffer }> = await this.dataSource.query(
      `SELECT chunk_start::float8 AS start, first_time::float8 AS first, last_time::float8 AS last, digest
         FROM ${TABLE[kind]} WHERE instrument_id = $1 AND first_time < $3 AND last_time >= $2 ORDER BY chunk_start`,
      [instrumentId, range.from, range.to],
    );
    touched(rows.length);
    const bytes = (a: Float64Array | Int8Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    for (const r of rows) {
      if (r.first >= range.from && r.last < range.to) {
        hash.update(`chunk:${r.start}:`);
        hash.update(r.digest);
        continue;
      }
      const edge = { from: Math.max(range.from, r.start), to: Math.min(range.to, r.last + 1) };
      hash.update(`slice:${r.start}:`);
      if (kind === 'candles') {
        for await (const s of this.candleChunks(instrumentId, edge, timeframeMs!)) {
          for (const a of [s.time, s.open, s.high, s.low, s.close, s.volume]) hash.update(bytes(a));
        }
      } else {
        for await (const s of this.tradeChunks(instrumentId, edge)) {
          for (const a of [s.time, s.price, s.amount, s.side]) hash.update(bytes(a));
        }
      }
    }
    return hash.digest('hex');
  }

  /** Kept for callers that refreshed statistics after bulk loads; chunk tables stay small enough to need none. */
  async analyze(kind: SeriesKind): Promise<void> {
    await this.dataSource.query(`ANALYZE ${TABLE[kind]}`);
  }

  /** Time of the first print at or after `from`, or null. */
  async firstTradeTime(instrumentId: string, from: number): Promise<number | null> {
    for await (const chunk of this.chunks('trades', instrumentId, { from, to: 8.64e15 }, TRADE_CHUNK_MS)) {
      const time = verified('trades', instrumentId, chunk.start, chunk.data, chunk.checksum, decodeTradeTimes);
      const i = lowerBound(time, from);
      if (i < time.length) return time[i];
    }
    return null;
  }

  /** Time of the newest bar (or print) before `before`, or null: reads at most the newest chunk's times. */
  async lastTime(kind: SeriesKind, instrumentId: string, before = 8.64e15): Promise<number | null> {
    const metas = await this.metas(kind, instrumentId, { from: -8.64e15, to: before }, 'desc', 2);
    if (metas.length === 0) return null;
    if (metas[0].last < before) return metas[0].last;
    const time = (await this.timesOf(kind, instrumentId, [metas[0].start])).get(metas[0].start)!;
    const i = lowerBound(time, before) - 1;
    return i >= 0 ? time[i] : (metas[1]?.last ?? null);
  }

  /** Whether any candle (or print) lies in the range. */
  async hasData(kind: SeriesKind, instrumentId: string, range: SeriesRange): Promise<boolean> {
    return (await this.stats(kind, instrumentId, range)).count > 0;
  }

  async candleStats(instrumentId: string, range: SeriesRange): Promise<CoverageStats> {
    return this.stats('candles', instrumentId, range);
  }

  async tradeStats(instrumentId: string, range: SeriesRange): Promise<CoverageStats> {
    return this.stats('trades', instrumentId, range);
  }

  /** How many chunks of a series the range touches (the cost of reading it), from the summaries. */
  async chunkCount(kind: SeriesKind, instrumentId: string, range: SeriesRange): Promise<number> {
    const [row]: Array<{ n: number }> = await this.dataSource.query(
      `SELECT count(*)::int AS n FROM ${TABLE[kind]}
        WHERE instrument_id = $1 AND first_time < $3 AND last_time >= $2`,
      [instrumentId, Math.max(range.from, -8.64e15), Math.min(range.to, 8.64e15)],
    );
    return row.n;
  }

  private async metas(
    kind: SeriesKind,
    instrumentId: string,
    range: SeriesRange,
    order: 'asc' | 'desc' = 'asc',
    limit?: number,
  ): Promise<ChunkMeta[]> {
    const rows: Array<{ start: number; first: number; last: number; count: number }> = await this.dataSource.query(
      `SELECT chunk_start::float8 AS start, first_time::float8 AS first, last_time::float8 AS last, row_count AS count
         FROM ${TABLE[kind]}
        WHERE instrument_id = $1 AND first_time < $3 AND last_time >= $2
        ORDER BY chunk_start ${order === 'asc' ? 'ASC' : 'DESC'}${limit ? ` LIMIT ${limit}` : ''}`,
      [instrumentId, Math.max(range.from, -8.64e15), Math.min(range.to, 8.64e15)],
    );
    touched(rows.length);
    return rows;
  }

  /** The verified times of some chunks by start (edge chunks of a range). */
  private async timesOf(kind: SeriesKind, instrumentId: string, starts: number[]): Promise<Map<number, Float64Array>> {
    const out = new Map<number, Float64Array>();
    if (starts.length === 0) return out;
    const query = `SELECT chunk_start, data, checksum FROM ${TABLE[kind]}
      WHERE instrument_id = ${sqlLiteral(checkedId(instrumentId))} AND chunk_start IN (${starts.map(checkedMs).join(',')})`;
    const raw: RawChunk[] = [];
    await this.withClient((c) =>
      copyRows(c, query, (f) =>
        raw.push({ start: Number(f[0]!.readBigInt64BE(0)), data: f[1]!, checksum: f[2]!.readInt32BE(0) }),
      ),
    );
    touched(raw.length);
    for (const chunk of raw) out.set(chunk.start, this.times(kind, instrumentId, chunk));
    return out;
  }

  private times(kind: SeriesKind, instrumentId: string, chunk: RawChunk): Float64Array {
    return verified(
      kind,
      instrumentId,
      chunk.start,
      chunk.data,
      chunk.checksum,
      kind === 'candles' ? decodeCandleTimes : decodeTradeTimes,
    );
  }

  /** Count, first and last of a range: summaries for the chunks inside it, decoded times for the two edges. */
  private async stats(kind: SeriesKind, instrumentId: string, range: SeriesRange): Promise<CoverageStats> {
    const metas = await this.metas(kind, instrumentId, range);
    const edges = metas.filter((m) => m.first < range.from || m.last >= range.to).map((m) => m.start);
    const times = await this.timesOf(kind, instrumentId, edges);
    let count = 0;
    let first: number | null = null;
    let last: number | null = null;
    for (const m of metas) {
      const t = times.get(m.start);
      if (!t) {
        count += m.count;
        first ??= m.first;
        last = m.last;
        continue;
      }
      const a = lowerBound(t, range.from);
      const b = lowerBound(t, range.to);
      if (b <= a) continue;
      count += b - a;
      first ??= t[a];
      last = t[b - 1];
    }
    return { count, first, last };
  }

  /**
   * Holes in the stored candles of `[from, to)`: consecutive bars further apart than one bar.
   * A chunk whose count matches its first-to-last span has no hole inside and is not decoded.
   */
  async candleGaps(
    instrumentId: string,
    range: SeriesRange,
    timeframeMs: number,
    limit: number,
  ): Promise<{ gaps: StoredGap[]; total: number; missingBars: number }> {
    const metas = await this.metas('candles', instrumentId, range);
    const decode = metas
      .filter((m) => m.first < range.from || m.last >= range.to || m.count !== (m.last - m.first) / timeframeMs + 1)
      .map((m) => m.start);
    const times = await this.timesOf('candles', instrumentId, decode);
    const gaps: StoredGap[] = [];
    let total = 0;
    let missingBars = 0;
    let previous: number | null = null;
    const step = (t: number) => {
      if (previous !== null && t - previous > timeframeMs) {
        total++;
        missingBars += (t - previous) / timeframeMs - 1;
        if (gaps.length < limit) gaps.push({ after: previous, before: t });
      }
      previous = t;
    };
    for (const m of metas) {
      const t = times.get(m.start);
      if (!t) {
        step(m.first);
        previous = m.last;
        continue;
      }
      const a = lowerBound(t, range.from);
      const b = lowerBound(t, range.to);
      for (let i = a; i < b; i++) step(t[i]);
    }
    return { gaps, total, missingBars };
  }
}
