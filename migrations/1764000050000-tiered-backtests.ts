import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tiered backtests (issue 6): one row per submitted backtest (its job id is the row's id), its
 * result and trade list written in the transaction that marks it completed, and comparisons
 * that group one backtest per precision.
 */
export class TieredBacktests1764000050000 implements MigrationInterface {
  name = 'TieredBacktests1764000050000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE backtest_comparisons (
        id uuid PRIMARY KEY,
        owner_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        precisions text[] NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX backtest_comparisons_owner ON backtest_comparisons (owner_id, created_at DESC)`);
    await q.query(`
      CREATE TABLE backtests (
        id uuid PRIMARY KEY,
        owner_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        strategy_id uuid NOT NULL,
        strategy_version integer NOT NULL,
        comparison_id uuid REFERENCES backtest_comparisons (id) ON DELETE CASCADE,
        status text NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled')),
        progress smallint NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
        tier text NOT NULL CHECK (tier IN ('basic', 'pro', 'elite')),
        precision text NOT NULL CHECK (precision IN ('kline', 'hybrid', 'tick')),
        exchange text NOT NULL,
        symbol text NOT NULL,
        timeframe text NOT NULL,
        detail_timeframe text,
        latency_ms integer,
        range_from timestamptz NOT NULL,
        range_to timestamptz NOT NULL CHECK (range_to > range_from),
        initial_capital double precision NOT NULL CHECK (initial_capital > 0),
        fee_rate double precision NOT NULL,
        slippage_bps double precision NOT NULL,
        idempotency_key text,
        request_hash text,
        cancel_requested boolean NOT NULL DEFAULT false,
        attempts integer NOT NULL DEFAULT 0,
        error_code text,
        error_message text,
        timings jsonb,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        started_at timestamptz,
        finished_at timestamptz,
        FOREIGN KEY (strategy_id, strategy_version) REFERENCES strategy_versions (strategy_id, version),
        UNIQUE (owner_id, idempotency_key)
      )`);
    await q.query(`CREATE INDEX backtests_owner_created ON backtests (owner_id, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX backtests_owner_active ON backtests (owner_id) WHERE status IN ('queued', 'running')`);
    await q.query(`CREATE INDEX backtests_comparison ON backtests (comparison_id) WHERE comparison_id IS NOT NULL`);
    await q.query(`CREATE INDEX backtests_strategy ON backtests (strategy_id, strategy_version)`);
    await q.query(`
      CREATE TABLE backtest_results (
        backtest_id uuid PRIMARY KEY REFERENCES backtests (id) ON DELETE CASCADE,
        engine_version text NOT NULL,
        fingerprint text NOT NULL,
        metrics jsonb NOT NULL,
        envelope jsonb,
        detail_coverage jsonb,
        -- Bar times of the curve: NULL when they are evenly spaced (start + i * step), the usual case.
        equity_time bytea,
        equity_time_start bigint,
        equity_time_step bigint,
        equity_value bytea NOT NULL,
        equity_downsampled bytea NOT NULL,
        bars integer NOT NULL,
        stored_at timestamptz NOT NULL DEFAULT now(),
        CHECK (equity_time IS NOT NULL OR (equity_time_start IS NOT NULL AND equity_time_step IS NOT NULL))
      )`);
    // Float64 curves barely compress: storing them uncompressed saves the CPU of trying on every result.
    for (const column of ['equity_time', 'equity_value', 'equity_downsampled']) {
      await q.query(`ALTER TABLE backtest_results ALTER COLUMN ${column} SET STORAGE EXTERNAL`);
    }
    await q.query(`
      CREATE TABLE backtest_trades (
        backtest_id uuid NOT NULL REFERENCES backtests (id) ON DELETE CASCADE,
        seq integer NOT NULL,
        side text NOT NULL CHECK (side IN ('long', 'short')),
        entry_time bigint NOT NULL,
        entry_price double precision NOT NULL,
        exit_time bigint NOT NULL,
        exit_price double precision NOT NULL,
        entry_bar integer NOT NULL,
        exit_bar integer NOT NULL,
        units double precision NOT NULL,
        pnl double precision NOT NULL,
        pnl_pct double precision NOT NULL,
        fees double precision NOT NULL,
        slippage double precision NOT NULL,
        exit_reason text NOT NULL,
        ambiguous boolean NOT NULL,
        partial_fills integer NOT NULL,
        PRIMARY KEY (backtest_id, seq)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE backtest_trades`);
    await q.query(`DROP TABLE backtest_results`);
    await q.query(`DROP TABLE backtests`);
    await q.query(`DROP TABLE backtest_comparisons`);
  }
}
