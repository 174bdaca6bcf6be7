import { MigrationInterface, QueryRunner } from 'typeorm';
import { parseDecimal } from '../libs/market/src/store/chunk-codec';
import {
  ChunkRow,
  PendingCandle,
  PendingTrade,
  TRADE_CHUNK_MS,
  candleChunkSpan,
  chunkStartOf,
  mergeCandles,
  mergeTrades,
} from '../libs/market/src/store/chunk-merge';

const CHUNK_COLUMNS = `
  instrument_id uuid NOT NULL REFERENCES market_instruments (id) ON DELETE CASCADE,
  chunk_start bigint NOT NULL,
  first_time bigint NOT NULL,
  last_time bigint NOT NULL,
  row_count integer NOT NULL CHECK (row_count > 0),
  open float8 NOT NULL,
  high float8 NOT NULL,
  low float8 NOT NULL,
  close float8 NOT NULL,
  volume float8 NOT NULL,
  data bytea NOT NULL,
  checksum integer NOT NULL,
  digest bytea NOT NULL,
  PRIMARY KEY (instrument_id, chunk_start),
  CHECK (first_time >= chunk_start AND last_time >= first_time)`;

const BATCH = 100_000;

function exact(text: string): ReturnType<typeof parseDecimal> & object {
  const d = parseDecimal(text);
  if (!d)
    throw new Error(`market data value ${text} has more than 15 significant digits: it cannot be converted exactly`);
  return d;
}

async function insert(q: QueryRunner, table: string, instrumentId: string, row: ChunkRow): Promise<void> {
  const s = row.summary;
  await q.query(
    `INSERT INTO ${table} (instrument_id, chunk_start, first_time, last_time, row_count, open, high, low, close, volume,
       data, checksum, digest) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
    [
      instrumentId,
      row.start,
      s.first,
      s.last,
      s.count,
      s.open,
      s.high,
      s.low,
      s.close,
      s.volume,
      row.data,
      row.checksum,
      row.digest,
    ],
  );
}

/**
 * Market data moves from one row per bar or print into chunks: one row per instrument and time
 * chunk (a day of 1m candles, 1440 bars of any timeframe; an hour of prints) holding each column
 * packed (scaled integers, delta-encoded varints) plus the chunk's summary. Existing rows are
 * converted chunk by chunk in this transaction, then the row tables are dropped.
 *
 * Revert drops market data: the row tables come back empty (re-import the files).
 */
export class MarketChunks1765100000000 implements MigrationInterface {
  name = 'MarketChunks1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE market_candle_chunks (${CHUNK_COLUMNS})`);
    await q.query(`CREATE TABLE market_trade_chunks (${CHUNK_COLUMNS})`);
    // Packed columns barely compress; pglz would only cost time on every read.
    await q.query(`ALTER TABLE market_candle_chunks ALTER COLUMN data SET STORAGE EXTERNAL`);
    await q.query(`ALTER TABLE market_trade_chunks ALTER COLUMN data SET STORAGE EXTERNAL`);

    const candleSeries = (await q.query(
      `SELECT id, candle_timeframe_ms AS tf FROM market_instruments
        WHERE candle_timeframe_ms IS NOT NULL AND EXISTS (SELECT 1 FROM market_candles c WHERE c.instrument_id = id)`,
    )) as Array<{ id: string; tf: string }>;
    for (const { id, tf } of candleSeries) {
      const span = candleChunkSpan(Number(tf));
      let after = -1;
      let group: PendingCandle[] = [];
      let start = NaN;
      const flush = async () => {
        if (group.length === 0) return;
        const { row } = mergeCandles(start, null, group);
        if (row) await insert(q, 'market_candle_chunks', id, row);
        group = [];
      };
      for (;;) {
        const rows = (await q.query(
          `SELECT (extract(epoch FROM open_time) * 1000)::bigint AS t, open::text AS o, high::text AS h, low::text AS l,
                  close::text AS c, volume::text AS v
             FROM market_candles WHERE instrument_id = $1 AND open_time > to_timestamp($2::numeric / 1000)
            ORDER BY open_time LIMIT ${BATCH}`,
          [id, after],
        )) as Array<{ t: string; o: string; h: string; l: string; c: string; v: string }>;
        for (const r of rows) {
          const t = Number(r.t);
          const s = chunkStartOf(t, span);
          if (s !== start) {
            await flush();
            start = s;
          }
          group.push({ line: 0, t, o: exact(r.o), h: exact(r.h), l: exact(r.l), c: exact(r.c), v: exact(r.v) });
          after = t;
        }
        if (rows.length < BATCH) break;
      }
      await flush();
    }

    const tradeSeries = (await q.query(`SELECT DISTINCT instrument_id AS id FROM market_trades`)) as Array<{
      id: string;
    }>;
    for (const { id } of tradeSeries) {
      let afterTime = -1;
      let afterId = '';
      let group: PendingTrade[] = [];
      let start = NaN;
      const flush = async () => {
        if (group.length === 0) return;
        const { row } = mergeTrades(start, null, group);
        if (row) await insert(q, 'market_trade_chunks', id, row);
        group = [];
      };
      for (;;) {
        const rows = (await q.query(
          `SELECT (extract(epoch FROM time) * 1000)::bigint AS t, trade_id AS id, side, price::text AS p, amount::text AS a
             FROM market_trades WHERE instrument_id = $1 AND (time, trade_id) > (to_timestamp($2::numeric / 1000), $3)
            ORDER BY time, trade_id LIMIT ${BATCH}`,
          [id, afterTime, afterId],
        )) as Array<{ t: string; id: string; side: number; p: string; a: string }>;
        for (const r of rows) {
          const t = Number(r.t);
          const s = chunkStartOf(t, TRADE_CHUNK_MS);
          if (s !== start) {
            await flush();
            start = s;
          }
          group.push({ line: 0, id: r.id, t, side: r.side, price: exact(r.p), amount: exact(r.a) });
          afterTime = t;
          afterId = r.id;
        }
        if (rows.length < BATCH) break;
      }
      await flush();
    }
    await q.query(`DROP TABLE market_candles`);
    await q.query(`DROP TABLE market_trades`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE market_trade_chunks`);
    await q.query(`DROP TABLE market_candle_chunks`);
    await q.query(`
      CREATE TABLE market_candles (
        instrument_id uuid NOT NULL REFERENCES market_instruments (id) ON DELETE CASCADE,
        open_time timestamptz NOT NULL,
        open numeric NOT NULL CHECK (open > 0),
        high numeric NOT NULL,
        low numeric NOT NULL CHECK (low > 0),
        close numeric NOT NULL CHECK (close > 0),
        volume numeric NOT NULL CHECK (volume >= 0),
        PRIMARY KEY (instrument_id, open_time),
        CHECK (high >= low AND open BETWEEN low AND high AND close BETWEEN low AND high)
      )`);
    await q.query(`
      CREATE TABLE market_trades (
        instrument_id uuid NOT NULL REFERENCES market_instruments (id) ON DELETE CASCADE,
        trade_id text NOT NULL,
        time timestamptz NOT NULL,
        side smallint NOT NULL CHECK (side IN (-1, 0, 1)),
        price numeric NOT NULL CHECK (price > 0),
        amount numeric NOT NULL CHECK (amount > 0),
        PRIMARY KEY (instrument_id, trade_id)
      )`);
    await q.query(`CREATE INDEX market_trades_series_time_idx ON market_trades (instrument_id, time)`);
    // The stored data is gone: every cached body and ETag must change.
    await q.query(`UPDATE market_instruments SET data_version = data_version + 1, candle_timeframe_ms = NULL`);
  }
}
