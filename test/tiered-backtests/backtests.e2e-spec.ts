import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { JobProducer } from '@app/platform';
import { BacktestSubmitService } from '@app/tiered-backtests';
import { TEST_REDIS_URL, uniquePrefix } from '@app/testing';
import { bearer, expectProblem, JWT_SECRET } from '../auth/auth-helpers';
import { createStrategy, storeXrpTrades, userWithTier, waitForBacktest } from '../support/backtest-fixtures';
import { createTestApi, TestApi } from '../support/test-app';

const exchange = `bt${uniquePrefix('x').slice(-6)}`;
const HOUR = 3_600_000;

describe('tiered backtests', () => {
  let api: TestApi;
  let data: { first: number; last: number };
  const users: Record<'basic' | 'pro' | 'elite', { token: string; strategyId: string }> = {} as never;

  beforeAll(async () => {
    api = await createTestApi({
      env: {
        JWT_SECRET,
        REDIS_URL: TEST_REDIS_URL,
        QUEUE_PREFIX: uniquePrefix('bt'),
        RUN_WORKER_IN_API: 'true',
      },
    });
    data = await storeXrpTrades(api, exchange);
    for (const tier of ['basic', 'pro', 'elite'] as const) {
      const session = await userWithTier(api, tier);
      users[tier] = { token: session.accessToken, strategyId: await createStrategy(api, session.accessToken) };
    }
  }, 60_000);
  afterAll(async () => {
    await api?.close();
  });

  const range = () => ({
    from: new Date(Math.ceil(data.first / HOUR) * HOUR).toISOString(),
    to: new Date(Math.floor(data.last / HOUR) * HOUR).toISOString(),
  });

  function submit(tier: keyof typeof users, body: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
    return api.inject({
      method: 'POST',
      url: '/api/v1/tiered-backtests',
      headers: { ...bearer(users[tier].token), ...headers },
      payload: {
        strategyId: users[tier].strategyId,
        exchange,
        symbol: 'XRP/ETH',
        timeframe: '5m',
        ...range(),
        initialCapital: 10,
        feeRate: 0.001,
        slippageBps: 2,
        ...body,
      },
    });
  }

  it.each([
    ['basic', 'kline'],
    ['pro', 'hybrid'],
    ['elite', 'tick'],
  ] as const)('runs a %s user’s backtest at %s precision on the real XRP/ETH prints', async (tier, precision) => {
    const res = await submit(tier);
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ status: 'queued', precision, tier });
    const done = await waitForBacktest(api, users[tier].token, res.json().id);
    expect(done).toMatchObject({ status: 'completed', progress: 100, error: null });
    expect(done.result.metrics.tradeCount).toBeGreaterThan(0);
    expect(done.result.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(done.timings.bars).toBeGreaterThan(600);
    if (precision === 'kline') expect(done.result.envelope).not.toBeNull();
    if (precision === 'hybrid') {
      expect(done.detailTimeframe).toBe('1s');
      expect(done.result.detailCoverage.ratio).toBeGreaterThan(0);
    }
    const trades = await api.inject({
      url: `/api/v1/tiered-backtests/${done.id}/trades?limit=3`,
      headers: bearer(users[tier].token),
    });
    expect(trades.json().items).toHaveLength(3);
    expect(trades.json().items[0].entryTime).toMatch(/^2019-10-1/);
    const equity = await api.inject({
      url: `/api/v1/tiered-backtests/${done.id}/equity?points=50`,
      headers: bearer(users[tier].token),
    });
    expect(equity.json().points).toBeLessThanOrEqual(50);
    expect(equity.json().totalPoints).toBe(done.timings.bars);
    const stored = (
      await api.inject({ url: `/api/v1/tiered-backtests/${done.id}/equity`, headers: bearer(users[tier].token) })
    ).json();
    expect(stored.points).toBe(Math.min(2_000, done.timings.bars));
    expect(stored.time.every((t: number, i: number) => i === 0 || t > stored.time[i - 1])).toBe(true);
    expect(stored.time[stored.points - 1]).toBe(equity.json().time[equity.json().points - 1]);
  });

  it('refuses a precision above the tier with what the tier allows', async () => {
    const body = expectProblem(await submit('basic', { precision: 'hybrid' }), 403, 'BACKTEST_TIER_LIMIT');
    expect(body.allowed.precisions).toEqual(['kline']);
  });

  it('answers 422 MARKET_DATA_MISSING with the coverage found for a range without data', async () => {
    const body = expectProblem(
      await submit('basic', { from: '2020-01-01T00:00:00Z', to: '2020-02-01T00:00:00Z' }),
      422,
      'MARKET_DATA_MISSING',
    );
    expect(body.coverage.trades.count).toBe(12_477);
  });

  it('compares every precision an elite user has and explains why they differ on the real data', async () => {
    const res = await api.inject({
      method: 'POST',
      url: '/api/v1/tiered-backtests/compare',
      headers: bearer(users.elite.token),
      payload: {
        strategyId: users.elite.strategyId,
        exchange,
        symbol: 'XRP/ETH',
        timeframe: '5m',
        ...range(),
        initialCapital: 10,
        slippageBps: 5,
      },
    });
    expect(res.statusCode).toBe(202);
    expect(res.json().backtests.map((b: { precision: string }) => b.precision)).toEqual(['kline', 'hybrid', 'tick']);
    for (const b of res.json().backtests) await waitForBacktest(api, users.elite.token, b.id);
    const done = (
      await api.inject({ url: `/api/v1/tiered-backtests/compare/${res.json().id}`, headers: bearer(users.elite.token) })
    ).json();
    expect(done.status).toBe('finished');
    const report = done.report;
    expect(Object.keys(report.metrics)).toEqual(['kline', 'hybrid', 'tick']);
    expect(report.summary.fillPriceDifferences).toBeGreaterThan(0);
    const fill = report.differences.find((d: { kind: string }) => d.kind === 'fillPrice');
    expect(Object.keys(fill.prices)).toEqual(['kline', 'hybrid', 'tick']);
    expect(fill.spreadBps).toBeGreaterThan(0);
    expect(report.differences.some((d: { kind: string }) => d.kind === 'detailCoverage')).toBe(true);
    expect(report.explanation.join(' ')).toMatch(/different prices/);
    if (report.summary.ambiguousBars > 0) {
      const bar = report.differences.find((d: { kind: string }) => d.kind === 'ambiguousBar');
      expect(bar.barTime).toMatch(/^2019-10-1/);
    }
    expectProblem(
      await api.inject({
        method: 'POST',
        url: '/api/v1/tiered-backtests/compare',
        headers: bearer(users.basic.token),
        payload: {
          strategyId: users.basic.strategyId,
          exchange,
          symbol: 'XRP/ETH',
          timeframe: '5m',
          ...range(),
          initialCapital: 10,
        },
      }),
      403,
      'BACKTEST_TIER_LIMIT',
    );
  });

  it('returns the same backtest for a retried submission with the same Idempotency-Key', async () => {
    const key = `retry-${Date.now()}`;
    const first = await submit('pro', {}, { 'idempotency-key': key });
    const second = await submit('pro', {}, { 'idempotency-key': key });
    expect(first.statusCode).toBe(202);
    expect(second.statusCode).toBe(202);
    expect(second.json().id).toBe(first.json().id);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expectProblem(
      await submit('pro', { initialCapital: 11 }, { 'idempotency-key': key }),
      422,
      'IDEMPOTENCY_KEY_REUSED',
    );
    await waitForBacktest(api, users.pro.token, first.json().id);
  });

  it.each([
    ['an unknown strategy', { strategyId: '00000000-0000-4000-8000-000000000000' }, 404, 'STRATEGY_NOT_FOUND'],
    ['an unknown version', { version: 9 }, 404, 'STRATEGY_NOT_FOUND'],
    ['from after to', { from: '2019-10-12T00:00:00Z', to: '2019-10-11T00:00:00Z' }, 400, 'BACKTEST_INVALID_REQUEST'],
    [
      'a span beyond the tier',
      { from: '2019-01-01T00:00:00Z', to: '2019-10-12T00:00:00Z' },
      403,
      'BACKTEST_TIER_LIMIT',
    ],
    ['a timeframe the tier does not have', { timeframe: '1s' }, 403, 'BACKTEST_TIER_LIMIT'],
    ['an unreadable timeframe', { timeframe: 'hourly' }, 400, 'VALIDATION_FAILED'],
    ['zero capital', { initialCapital: 0 }, 400, 'VALIDATION_FAILED'],
    ['absurd capital', { initialCapital: 1e15 }, 400, 'VALIDATION_FAILED'],
    ['a fee out of range', { feeRate: 0.5 }, 400, 'VALIDATION_FAILED'],
    ['negative slippage', { slippageBps: -1 }, 400, 'VALIDATION_FAILED'],
    ['an unknown field', { leverage: 10 }, 400, 'VALIDATION_FAILED'],
    ['latency on kline', { latencyMs: 10 }, 400, 'BACKTEST_INVALID_REQUEST'],
    ['an unknown symbol', { symbol: 'NOPE/ETH' }, 422, 'MARKET_DATA_MISSING'],
  ])('answers %s with a stable code and queues nothing', async (_what, body, status, code) => {
    const db = api.app.get(DataSource);
    const count = async () => (await db.query(`SELECT count(*)::int AS n FROM backtests`))[0].n;
    const before = await count();
    expectProblem(await submit('basic', body), status, code);
    expect(await count()).toBe(before);
  });

  it('answers 404 for another user’s strategy and backtest', async () => {
    expectProblem(await submit('basic', { strategyId: users.pro.strategyId }), 404, 'STRATEGY_NOT_FOUND');
    const mine = (
      await api.inject({ url: '/api/v1/tiered-backtests?limit=1', headers: bearer(users.pro.token) })
    ).json().items[0];
    for (const path of ['', '/trades', '/equity', '/events']) {
      expectProblem(
        await api.inject({ url: `/api/v1/tiered-backtests/${mine.id}${path}`, headers: bearer(users.basic.token) }),
        404,
        'BACKTEST_NOT_FOUND',
      );
    }
    expectProblem(
      await api.inject({
        method: 'DELETE',
        url: `/api/v1/tiered-backtests/${mine.id}`,
        headers: bearer(users.basic.token),
      }),
      404,
      'BACKTEST_NOT_FOUND',
    );
  });

  it('fails only the backtest whose stored definition the engine rejects at run time, without retrying', async () => {
    const db = api.app.get(DataSource);
    await db.query(`INSERT INTO strategy_versions (strategy_id, version, definition) VALUES ($1, 2, $2)`, [
      users.basic.strategyId,
      JSON.stringify({ version: 1, indicators: {}, entry: { long: { gt: ['ghost', 1] } } }),
    ]);
    await db.query(`UPDATE strategies SET latest_version = 2 WHERE id = $1`, [users.basic.strategyId]);
    const res = await submit('basic');
    expect(res.statusCode).toBe(202);
    const done = await waitForBacktest(api, users.basic.token, res.json().id);
    expect(done).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'BACKTEST_INVALID_STRATEGY' } });
    expect(done.error.message).toMatch(/ghost/);
    const ok = await submit('basic', { version: 1 });
    expect((await waitForBacktest(api, users.basic.token, ok.json().id)).status).toBe('completed');
  });

  it('lists with filters and keeps a deleted strategy’s versions for the results that used it', async () => {
    const list = await api.inject({
      url: '/api/v1/tiered-backtests?precision=kline&status=completed&limit=2',
      headers: bearer(users.basic.token),
    });
    expect(list.json().items.length).toBeGreaterThan(0);
    for (const b of list.json().items) expect(b).toMatchObject({ precision: 'kline', status: 'completed' });
    const deleted = await api.inject({
      method: 'DELETE',
      url: `/api/v1/strategies/${users.basic.strategyId}`,
      headers: bearer(users.basic.token),
    });
    expect(deleted.statusCode).toBe(204);
    expectProblem(
      await api.inject({ url: `/api/v1/strategies/${users.basic.strategyId}`, headers: bearer(users.basic.token) }),
      404,
      'STRATEGY_NOT_FOUND',
    );
    const [{ versions }] = await api.app
      .get(DataSource)
      .query(`SELECT count(*)::int AS versions FROM strategy_versions WHERE strategy_id = $1`, [
        users.basic.strategyId,
      ]);
    expect(versions).toBe(2);
    expectProblem(await submit('basic'), 404, 'STRATEGY_NOT_FOUND');
    const tiers = (
      await api.inject({ url: '/api/v1/tiered-backtests/tiers', headers: bearer(users.basic.token) })
    ).json();
    expect(tiers.tiers.map((t: { tier: string }) => t.tier)).toEqual(['basic', 'pro', 'elite']);
    expect(tiers.usage.backtestsToday).toBeGreaterThan(0);
  });

  it('counts backtests in /metrics by tier, precision and outcome', async () => {
    const metrics = (await api.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/backtests_submitted_total\{tier="elite",precision="tick"\} \d+/);
    expect(metrics).toMatch(/backtests_finished_total\{tier="basic",precision="kline",outcome="failed"\} 1/);
    expect(metrics).toMatch(/backtest_run_duration_seconds_count\{precision="hybrid"\} \d+/);
    expect(metrics).toMatch(/backtest_queue_wait_seconds_count\{tier="pro"\} \d+/);
    expect(metrics).toMatch(/backtest_engine_bars_per_second_count\{precision="kline"\} \d+/);
    expect(metrics).toMatch(/backtests_rejected_total\{tier="basic",code="BACKTEST_TIER_LIMIT"\} \d+/);
  });

  it('re-enqueues a queued backtest whose job never reached the queue, and fails a running one whose job is gone', async () => {
    const db = api.app.get(DataSource);
    const submitted = await submit('pro', { precision: 'kline' });
    const lost = (await submit('pro', { precision: 'kline' })).json().id;
    await waitForBacktest(api, users.pro.token, submitted.json().id);
    await waitForBacktest(api, users.pro.token, lost);
    // As if an API died between its commit and the enqueue, and a worker lost a job for good.
    const orphan = randomUUID();
    await db.query(
      `INSERT INTO backtests (id, owner_id, strategy_id, strategy_version, status, tier, precision, exchange, symbol,
         timeframe, range_from, range_to, initial_capital, fee_rate, slippage_bps, created_at)
       SELECT $1, owner_id, strategy_id, strategy_version, 'queued', tier, precision, exchange, symbol, timeframe,
         range_from, range_to, initial_capital, fee_rate, slippage_bps, now() - interval '2 minutes'
       FROM backtests WHERE id = $2`,
      [orphan, submitted.json().id],
    );
    await db.query(`UPDATE backtests SET status = 'running', created_at = now() - interval '2 minutes' WHERE id = $1`, [
      lost,
    ]);
    await api.app.get(JobProducer).queue('backtests').remove(lost);

    // (The worker's own scheduled sweep may take either first: the outcomes are what count.)
    const sweep = api.app.get(BacktestSubmitService);
    await sweep.reconcile(60_000);
    expect(await waitForBacktest(api, users.pro.token, orphan)).toMatchObject({ status: 'completed' });
    const [row] = await db.query(`SELECT status, error_code FROM backtests WHERE id = $1`, [lost]);
    expect(row).toEqual({ status: 'failed', error_code: 'BACKTEST_LOST' });
    expect(await sweep.reconcile(60_000)).toEqual({ requeued: 0, failed: 0 });
  });
});
