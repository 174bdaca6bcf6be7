import { uniquePrefix } from '@app/testing';
import { bearer, JWT_SECRET } from '../auth/auth-helpers';
import { createStrategy, storeXrpTrades, userWithTier, waitForBacktest } from '../support/backtest-fixtures';
import { createTestApi, TestApi } from '../support/test-app';

const exchange = `bp${uniquePrefix('x').slice(-6)}`;

/** The embedded run mode's queue: BullMQ on PostgreSQL, worker in the API process, no Redis. */
describe('tiered backtests on the PostgreSQL queue backend', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await createTestApi({
      env: {
        JWT_SECRET,
        REDIS_URL: undefined,
        QUEUE_PREFIX: uniquePrefix('bpg'),
        RUN_WORKER_IN_API: 'true',
        BACKTEST_PROGRESS_INTERVAL_MS: '0',
      },
    });
    expect(api.config.queueBackend).toBe('postgres');
  }, 60_000);
  afterAll(async () => {
    await api?.close();
  });

  it('runs a pro user’s hybrid backtest and streams its events through the PostgreSQL queue', async () => {
    const data = await storeXrpTrades(api, exchange);
    const user = await userWithTier(api, 'pro');
    const strategyId = await createStrategy(api, user.accessToken);
    const res = await api.inject({
      method: 'POST',
      url: '/api/v1/tiered-backtests',
      headers: bearer(user.accessToken),
      payload: {
        strategyId,
        exchange,
        symbol: 'XRP/ETH',
        timeframe: '15m',
        from: data.first,
        to: data.last,
        initialCapital: 100,
      },
    });
    expect(res.statusCode).toBe(202);
    const id = res.json().id;
    const events = await api.inject({
      url: `/api/v1/tiered-backtests/${id}/events`,
      headers: bearer(user.accessToken),
    });
    expect(events.body).toMatch(/event: summary\ndata: \{"id":"[^"]+","status":"completed"/);
    const done = await waitForBacktest(api, user.accessToken, id);
    expect(done).toMatchObject({ status: 'completed', precision: 'hybrid', detailTimeframe: '1s' });
    expect(done.result.detailCoverage.ratio).toBeGreaterThan(0.5);
  });
});
