import { DataSource } from 'typeorm';
import { spawnBuilt, SpawnedApp, TEST_DATABASE_URL, TEST_REDIS_URL, uniquePrefix } from '@app/testing';
import { bearer, expectProblem, JWT_SECRET, Session } from '../auth/auth-helpers';
import { createStrategy, storeSyntheticCandles, userWithTier, waitForBacktest } from '../support/backtest-fixtures';
import { parseSse } from '../support/sse';
import { createTestApi, TestApi } from '../support/test-app';

const WORKER = 'dist/apps/worker/src/main.js';
const exchange = `bj${uniquePrefix('x').slice(-6)}`;
const SYMBOL = 'SYN/USD';
const YEAR_MINUTES = 525_600;

/** Polls the row every 5 ms until a worker has taken the backtest (status `running`). */
async function untilRunning(db: DataSource, id: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await db.query(`SELECT status FROM backtests WHERE id = $1`, [id]);
    if (row.status === 'running') return;
    if (Date.now() > deadline) throw new Error(`backtest ${id} never ran: ${row.status}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('backtest jobs: limits, cancel, progress and recovery (two API instances, worker processes)', () => {
  const prefix = uniquePrefix('bj');
  let a: TestApi;
  let b: TestApi;
  let range: { from: number; to: number };
  const env = {
    JWT_SECRET,
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: prefix,
    RUN_WORKER_IN_API: 'false',
  };
  const workerEnv = {
    DATABASE_URL: TEST_DATABASE_URL,
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: prefix,
    LOG_FORMAT: 'json',
    LOG_LEVEL: 'warn',
    BACKTEST_LOCK_MS: '2000',
    BACKTEST_PROGRESS_INTERVAL_MS: '0',
    BACKTEST_CONCURRENCY: '1',
    // Every run reads its year of candles (about half a second): long enough to cancel or kill it mid-run.
    BACKTEST_DATA_CACHE_BYTES: '0',
  };
  const workers: SpawnedApp[] = [];
  async function startWorker(port: number): Promise<SpawnedApp> {
    const worker = spawnBuilt(WORKER, { ...workerEnv, WORKER_HEALTH_PORT: String(port) });
    workers.push(worker);
    await worker.waitFor(/ready in \d+ ms: worker on the redis queue/, 30_000);
    return worker;
  }

  beforeAll(async () => {
    a = await createTestApi({ env });
    b = await createTestApi({ env });
    range = await storeSyntheticCandles(a, exchange, SYMBOL, YEAR_MINUTES);
  }, 90_000);
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop('SIGKILL')));
    await b?.close();
    await a?.close();
  });

  const body = (strategyId: string, extra: Record<string, unknown> = {}) => ({
    strategyId,
    exchange,
    symbol: SYMBOL,
    timeframe: '1m',
    from: range.from,
    to: range.to,
    initialCapital: 10_000,
    precision: 'kline',
    ...extra,
  });

  /** A new elite user's kline backtest over the whole synthetic year (about a second of work). */
  async function submitYear(): Promise<{ user: Session; id: string }> {
    const user = await userWithTier(a, 'elite');
    const strategyId = await createStrategy(a, user.accessToken);
    const id = (
      await a.inject({
        method: 'POST',
        url: '/api/v1/tiered-backtests',
        headers: bearer(user.accessToken),
        payload: body(strategyId),
      })
    ).json().id;
    if (!id) throw new Error('the submission was not accepted');
    return { user, id };
  }

  it('accepts exactly 3 of 20 parallel submissions of a basic user through two API instances', async () => {
    const user = await userWithTier(a, 'basic');
    const strategyId = await createStrategy(a, user.accessToken);
    const from = range.to - 30 * 86_400_000;
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 === 0 ? a : b).inject({
          method: 'POST',
          url: '/api/v1/tiered-backtests',
          headers: bearer(user.accessToken),
          payload: body(strategyId, { from }),
        }),
      ),
    );
    const statuses = answers.map((r) => r.statusCode).sort();
    expect(statuses.filter((s) => s === 202)).toHaveLength(3);
    expect(statuses.filter((s) => s === 429)).toHaveLength(17);
    for (const r of answers.filter((x) => x.statusCode === 429)) {
      expect(r.json()).toMatchObject({ code: 'BACKTEST_CONCURRENCY_LIMIT', limit: 3 });
      expect(r.headers['retry-after']).toBeDefined();
    }
    const [{ count }] = await a.app
      .get(DataSource)
      .query(`SELECT count(*)::int AS count FROM backtests WHERE owner_id = $1`, [user.user.id]);
    expect(count).toBe(3);

    // A queued backtest is cancelled at once, frees its slot, and its job leaves the queue.
    const queued = answers.find((r) => r.statusCode === 202)!.json();
    const cancelled = await b.inject({
      method: 'DELETE',
      url: `/api/v1/tiered-backtests/${queued.id}`,
      headers: bearer(user.accessToken),
    });
    expect(cancelled.json()).toMatchObject({ id: queued.id, status: 'cancelled' });
    const { JobProducer } = await import('@app/platform');
    expect(await a.app.get(JobProducer).queue('backtests').getJob(queued.id)).toBeUndefined();
    const tiers = await a.inject({ url: '/api/v1/tiered-backtests/tiers', headers: bearer(user.accessToken) });
    expect(tiers.json().usage).toMatchObject({ active: 2, backtestsToday: 3, backtestsLeftToday: 47 });
    const again = await a.inject({
      method: 'POST',
      url: '/api/v1/tiered-backtests',
      headers: bearer(user.accessToken),
      payload: body(strategyId, { from }),
    });
    expect(again.statusCode).toBe(202);
    expectProblem(
      await a.inject({
        method: 'POST',
        url: '/api/v1/tiered-backtests',
        headers: bearer(user.accessToken),
        payload: body(strategyId, { from }),
      }),
      429,
      'BACKTEST_CONCURRENCY_LIMIT',
    );
  });

  it('streams progress over SSE from a worker process to another API instance, then the summary', async () => {
    const { user, id } = await submitYear();
    const stream = b.inject({ url: `/api/v1/tiered-backtests/${id}/events`, headers: bearer(user.accessToken) });
    await startWorker(31_451);
    const res = await stream;
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    const events = parseSse(res.body);
    expect(events[0]).toMatchObject({ event: 'status', data: { status: 'queued' } });
    const progress = events.filter((e) => e.event === 'progress').map((e) => e.data.progress);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.every((p, i) => p > 0 && p < 100 && (i === 0 || p > progress[i - 1]))).toBe(true);
    expect(events.some((e) => e.event === 'status' && e.data.status === 'running')).toBe(true);
    const last = events[events.length - 1];
    expect(last).toMatchObject({ event: 'summary', data: { id, status: 'completed', progress: 100 } });
    expect(last.data.result.metrics.tradeCount).toBeGreaterThan(0);
    expect(last.data.timings.bars).toBe(YEAR_MINUTES);
    // The ended stream no longer counts as in flight (only the scrape itself does).
    expect((await b.inject({ url: '/metrics' })).body).toMatch(/^http_requests_in_flight 1$/m);
    // The worker process counts what it ran on its own /metrics.
    const metrics = await (await fetch('http://127.0.0.1:31451/metrics')).text();
    expect(metrics).toMatch(/backtests_finished_total\{tier="elite",precision="kline",outcome="completed"\} 1/);
    expect(metrics).toMatch(/backtest_engine_bars_per_second_bucket/);
  }, 60_000);

  it('stops a running backtest at its next progress point when cancelled', async () => {
    const { user, id } = await submitYear();
    const db = a.app.get(DataSource);
    await untilRunning(db, id);
    const res = await b.inject({
      method: 'DELETE',
      url: `/api/v1/tiered-backtests/${id}`,
      headers: bearer(user.accessToken),
    });
    expect(res.json()).toMatchObject({ status: 'running' });
    const done = await waitForBacktest(a, user.accessToken, id);
    expect(done.status).toBe('cancelled');
    const [{ count }] = await db.query(`SELECT count(*)::int AS count FROM backtest_results WHERE backtest_id = $1`, [
      id,
    ]);
    expect(count).toBe(0);
  }, 60_000);

  /** Only workers started after this may take the new backtest (how the others stop is not under test). */
  async function submitToNewWorkers(): Promise<{ user: Session; id: string }> {
    await Promise.all(workers.splice(0).map((w) => w.stop('SIGKILL')));
    return submitYear();
  }

  it('lets a running backtest finish when its worker is stopped with SIGTERM', async () => {
    const { id } = await submitToNewWorkers();
    const worker = await startWorker(31_454);
    await untilRunning(a.app.get(DataSource), id);
    const exit = await worker.stop('SIGTERM', 15_000);
    expect(exit.code).toBe(0);
    const [row] = await a.app.get(DataSource).query(`SELECT status, attempts FROM backtests WHERE id = $1`, [id]);
    expect(row).toEqual({ status: 'completed', attempts: 1 });
  }, 60_000);

  it('recovers a job whose worker was killed with SIGKILL mid-run and stores its result once', async () => {
    const { user, id } = await submitToNewWorkers();
    const victim = await startWorker(31_452);
    const db = a.app.get(DataSource);
    await untilRunning(db, id);
    const killed = await victim.stop('SIGKILL');
    expect(killed.signal).toBe('SIGKILL');
    const [mid] = await db.query(`SELECT status FROM backtests WHERE id = $1`, [id]);
    expect(mid.status).toBe('running');

    await startWorker(31_453);
    const done = await waitForBacktest(a, user.accessToken, id, 45_000);
    expect(done).toMatchObject({ status: 'completed', attempts: 2 });
    const [{ results }] = await db.query(
      `SELECT count(*)::int AS results FROM backtest_results WHERE backtest_id = $1`,
      [id],
    );
    const [{ trades, distinct }] = await db.query(
      `SELECT count(*)::int AS trades, count(DISTINCT entry_time)::int AS distinct FROM backtest_trades WHERE backtest_id = $1`,
      [id],
    );
    expect(results).toBe(1);
    expect(trades).toBe(done.result.metrics.tradeCount);
    expect(distinct).toBe(trades);
  }, 90_000);

  it('runs a pro user’s hybrid backtest with the stored 1m candles as detail under 1h bars', async () => {
    const user = await userWithTier(a, 'pro');
    const strategyId = await createStrategy(a, user.accessToken);
    const res = await a.inject({
      method: 'POST',
      url: '/api/v1/tiered-backtests',
      headers: bearer(user.accessToken),
      payload: body(strategyId, { timeframe: '1h', precision: undefined, from: range.to - 90 * 86_400_000 }),
    });
    expect(res.json()).toMatchObject({ precision: 'hybrid', detailTimeframe: '1m' });
    const done = await waitForBacktest(a, user.accessToken, res.json().id, 45_000);
    expect(done).toMatchObject({ status: 'completed', timings: { bars: 90 * 24 } });
    expect(done.result.detailCoverage).toMatchObject({ ratio: 1 });
    expect(done.result.metrics.tradeCount).toBeGreaterThan(0);
  }, 60_000);
});
