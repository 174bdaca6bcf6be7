import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Market data: instruments, their stored candles (one finest timeframe per instrument; higher
 * timeframes are aggregated on read) and trade prints, and file imports with their uploaded bytes.
 * Prices and amounts are `numeric`, so stored values are exactly what the source said.
 */
export class MarketData1763900000000 implements MigrationInterface {
  name = 'MarketData1763900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE market_instruments (
        id uuid PRIMARY KEY,
        exchange text NOT NULL CHECK (exchange ~ '^[a-z0-9][a-z0-9_.-]{0,31}$'),
        symbol text NOT NULL CHECK (symbol ~ '^[A-Z0-9._-]+/[A-Z0-9._-]+$'),
        base text NOT NULL,
        quote text NOT NULL,
        price_precision smallint CHECK (price_precision BETWEEN 0 AND 30),
        amount_precision smallint CHECK (amount_precision BETWEEN 0 AND 30),
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive', 'delisted')),
        candle_timeframe_ms bigint CHECK (candle_timeframe_ms > 0),
        metadata jsonb NOT NULL DEFAULT '{}',
        data_version bigint NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT market_instruments_exchange_symbol_key UNIQUE (exchange, symbol)
      )`);
    // The primary key is the series' range index: a read of one series between two times is an index scan.
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
    await q.query(`
      CREATE TABLE market_imports (
        id uuid PRIMARY KEY,
        created_by uuid REFERENCES users (id) ON DELETE SET NULL,
        source text NOT NULL CHECK (source IN ('upload', 'cli', 'demo')),
        exchange text NOT NULL,
        symbol text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('candles', 'trades')),
        timeframe text,
        format text NOT NULL,
        file_name text,
        file_bytes bigint NOT NULL DEFAULT 0,
        status text NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed')),
        progress real NOT NULL DEFAULT 0,
        rows_read integer NOT NULL DEFAULT 0,
        inserted integer NOT NULL DEFAULT 0,
        duplicates integer NOT NULL DEFAULT 0,
        rejected integer NOT NULL DEFAULT 0,
        gaps integer NOT NULL DEFAULT 0,
        missing_bars bigint NOT NULL DEFAULT 0,
        first_time timestamptz,
        last_time timestamptz,
        rejections jsonb NOT NULL DEFAULT '[]',
        gap_list jsonb NOT NULL DEFAULT '[]',
        error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        finished_at timestamptz
      )`);
    await q.query(`CREATE INDEX market_imports_created_idx ON market_imports (created_at DESC, id DESC)`);
    // Uploaded files wait here for the worker (API and worker pods share no disk); deleted when the import ends.
    await q.query(`
      CREATE TABLE market_import_chunks (
        import_id uuid NOT NULL REFERENCES market_imports (id) ON DELETE CASCADE,
        seq integer NOT NULL,
        data bytea NOT NULL,
        PRIMARY KEY (import_id, seq)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE market_import_chunks`);
    await q.query(`DROP TABLE market_imports`);
    await q.query(`DROP TABLE market_trades`);
    await q.query(`DROP TABLE market_candles`);
    await q.query(`DROP TABLE market_instruments`);
  }
}
