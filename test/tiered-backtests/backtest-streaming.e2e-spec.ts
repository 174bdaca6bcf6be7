import { DataSource } from 'typeorm';
import { parseTimeframe, runBacktest, type StrategyDefinition } from '@app/engine';
import { MarketFeed } from '@app/market';
import { TEST_REDIS_URL, uniquePrefix } from '@app/testing';
import { bearer, JWT_SECRET } from '../auth/auth-helpers';
import { createStrategy, SMA_CROSS, storeXrpTrades, userWithTier, waitForBacktest } from '../support/backtest-fixtures';
import { createTestApi, TestApi } from '../support/test-app';

const exchange = `bs${uniquePrefix('x').slice(-6)}`;
const HOUR = 3_600_000;
/** A few prints a chunk: the real data's ~12k prints reach the engine thread in thousands of chunks. */
const CHUNK_ROWS = 3;

/** Polls the row every 5 ms until the run has published `percent` or more. */
async function untilProgress(db: DataSource, id: string, percent: number, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await db.query(`SELECT status, progress FROM backtests WHERE id = $1`, [id]);
    if (row.status !== 'queued' && (row.progress >= percent || row.status !== 'running')) return row.status;
    if (Date.now() > deadline) throw new Error(`backtest ${id} stayed at ${row.status} ${row.progress}%`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('streamed tick backtests (prints reach the engine thread in chunks)', () => {
  let api: TestApi;
  let db: DataSource;
  let token: string;
  let strategyId: string;
  let range: { from: number; to: number };

  beforeAll(async () => {
    api = await createTestApi({
      env: {
        JWT_SECRET,
        REDIS_URL: TEST_REDIS_URL,
        QUEUE_PREFIX: uniquePrefix('bs'),
        RUN_WORKER_IN_API: 'true',
        BACKTEST_STREAM_CHUNK_ROWS: String(CHUNK_ROWS),
        BACKTEST_PROGRESS_INTERVAL_MS: '0',
      },
    });
    db = api.app.get(DataSource);
    const data = await storeXrpTrades(api, exchange);
    range = { from: Math.ceil(data.first / HOUR) * HOUR, to: Math.floor(data.last / HOUR) * HOUR };
    const session = await userWithTier(api, 'elite');
    token = session.accessToken;
    strategyId = await createStrategy(api, token);
  }, 60_000);
  afterAll(async () => {
    await api?.close();
  });

  async function submitTick(): Promise<string> {
    const res = await api.inject({
      method: 'POST',
      url: '/api/v1/tiered-backtests',
      headers: bearer(token),
      payload: {
        strategyId,
        exchange,
        symbol: 'XRP/ETH',
        timeframe: '5m',
        precision: 'tick',
        from: new Date(range.from).toISOString(),
        to: new Date(range.to).toISOString(),
        initialCapital: 10,
        feeRate: 0.001,
        slippageBps: 2,
      },
    });
    expect(res.statusCode).toBe(202);
    return res.json().id;
  }

  it('stores exactly the result of a whole-array run on the same data', async () => {
    const id = await submitTick();
    const done = await waitForBacktest(api, token, id, 60_000);
    expect(done).toMatchObject({ status: 'completed', error: null });

    // The same run, in this process, on the whole arrays the feed returns.
    const feed = api.app.get(MarketFeed);
    const instrument = await feed.instrument(exchange, 'XRP/ETH');
    const candles = await feed.candlesOf(instrument, parseTimeframe('5m'), range);
    const trades = await feed.trades({ exchange, symbol: 'XRP/ETH', ...range });
    expect(trades.time.length).toBeGreaterThan(100 * CHUNK_ROWS);
    const direct = runBacktest({
      definition: SMA_CROSS as unknown as StrategyDefinition,
      precision: 'tick',
      candles,
      trades,
      settings: { initialCapital: 10, feeRate: 0.001, slippageBps: 2, calendar: 'crypto', tick: {} },
    });

    const [stored] = await db.query(
      `SELECT engine_version, fingerprint, metrics, equity_value, bars FROM backtest_results WHERE backtest_id = $1`,
      [id],
    );
    expect(stored.engine_version).toBe(direct.engineVersion);
    // The fingerprint covers every print's bytes and the resolved settings: the same input reached the engine.
    expect(stored.fingerprint).toBe(direct.fingerprint);
    expect(stored.metrics).toEqual(JSON.parse(JSON.stringify(direct.metrics)));
    expect(Buffer.compare(stored.equity_value, Buffer.from(direct.equity.equity.buffer))).toBe(0);
    const rows = await db.query(
      `SELECT entry_time, entry_price, exit_time, exit_price, units, pnl, fees, slippage, exit_reason, partial_fills
         FROM backtest_trades WHERE backtest_id = $1 ORDER BY seq`,
      [id],
    );
    expect(direct.trades.length).toBeGreaterThan(0);
    expect(
      rows.map((r: Record<string, unknown>) => [
        Number(r.entry_time),
        r.entry_price,
        Number(r.exit_time),
        r.exit_price,
        r.units,
        r.pnl,
        r.fees,
        r.slippage,
        r.exit_reason,
        r.partial_fills,
      ]),
    ).toEqual(
      direct.trades.map((t) => [
        t.entryTime,
        t.entryPrice,
        t.exitTime,
        t.exitPrice,
        t.units,
        t.pnl,
        t.fees,
        t.slippage,
        t.exitReason,
        t.partialFills,
      ]),
    );
  }, 90_000);

  it('stores nothing for a run cancelled mid-stream', async () => {
    const id = await submitTick();
    // The engine's first report past the data load: the prints are streaming.
    expect(await untilProgress(db, id, 15)).toBe('running');
    const res = await api.inject({ method: 'DELETE', url: `/api/v1/tiered-backtests/${id}`, headers: bearer(token) });
    expect(res.json()).toMatchObject({ status: 'running' });
    const done = await waitForBacktest(api, token, id, 60_000);
    expect(done.status).toBe('cancelled');
    const [{ results }] = await db.query(
      `SELECT (SELECT count(*)::int FROM backtest_results WHERE backtest_id = $1) +
              (SELECT count(*)::int FROM backtest_trades WHERE backtest_id = $1) AS results`,
      [id],
    );
    expect(results).toBe(0);
  }, 90_000);
});
