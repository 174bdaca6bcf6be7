import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Exchange sync (docs/market-data.md): the state of every synced series, and the gaps the exchange could
 * not fill (it answered with bars after a stretch it has no bars for). Gaps are reported, never
 * filled with invented bars.
 */
export class MarketSync1763900100000 implements MigrationInterface {
  name = 'MarketSync1763900100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE market_sync_state (
        exchange text NOT NULL,
        symbol text NOT NULL,
        timeframe text NOT NULL,
        instrument_id uuid REFERENCES market_instruments (id) ON DELETE SET NULL,
        trades boolean NOT NULL DEFAULT false,
        last_run_at timestamptz,
        last_success_at timestamptz,
        consecutive_failures integer NOT NULL DEFAULT 0,
        last_error text,
        last_error_at timestamptz,
        bars_stored bigint NOT NULL DEFAULT 0,
        trades_stored bigint NOT NULL DEFAULT 0,
        gaps_found integer NOT NULL DEFAULT 0,
        last_bar_time timestamptz,
        last_trade_time timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (exchange, symbol, timeframe)
      )`);
    await q.query(`
      CREATE TABLE market_sync_gaps (
        instrument_id uuid NOT NULL REFERENCES market_instruments (id) ON DELETE CASCADE,
        timeframe_ms bigint NOT NULL CHECK (timeframe_ms > 0),
        gap_start timestamptz NOT NULL,
        gap_end timestamptz NOT NULL,
        missing_bars integer NOT NULL CHECK (missing_bars > 0),
        detected_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (instrument_id, timeframe_ms, gap_start),
        CHECK (gap_end > gap_start)
      )`);
    await q.query(`COMMENT ON COLUMN market_sync_gaps.gap_start IS 'open time of the first missing bar'`);
    await q.query(`COMMENT ON COLUMN market_sync_gaps.gap_end IS 'open time of the first bar after the gap'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE market_sync_gaps`);
    await q.query(`DROP TABLE market_sync_state`);
  }
}
