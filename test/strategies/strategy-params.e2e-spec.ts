import { TEST_REDIS_URL, uniquePrefix } from '@app/testing';
import { bearer, expectProblem, JWT_SECRET } from '../auth/auth-helpers';
import { createStrategy, SMA_CROSS, storeXrpTrades, userWithTier, waitForBacktest } from '../support/backtest-fixtures';
import { createTestApi, TestApi } from '../support/test-app';

const exchange = `sp${uniquePrefix('x').slice(-6)}`;
const HOUR = 3_600_000;

/** SMA_CROSS with its periods, stop-loss and take-profit as params whose defaults are SMA_CROSS's numbers. */
const TUNABLE = {
  ...SMA_CROSS,
  params: {
    fast: { type: 'int', default: 5, min: 2, max: 20 },
    slow: { type: 'int', default: 20, min: 10, max: 100, step: 5 },
    stop: { type: 'decimal', default: 0.6, min: 0.2, max: 5 },
    take: { type: 'choice', default: 0.8, values: [0.4, 0.8, 1.6] },
  },
  constraints: [{ lt: [{ param: 'fast' }, { param: 'slow' }] }],
  indicators: { fast: { type: 'sma', period: { param: 'fast' } }, slow: { type: 'sma', period: { param: 'slow' } } },
  risk: { stopLossPct: { param: 'stop' }, takeProfitPct: { param: 'take' } },
};

describe('strategies with params', () => {
  let api: TestApi;
  let token: string;
  let data: { first: number; last: number };

  beforeAll(async () => {
    api = await createTestApi({
      env: { JWT_SECRET, REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: uniquePrefix('sp'), RUN_WORKER_IN_API: 'true' },
    });
    data = await storeXrpTrades(api, exchange);
    token = (await userWithTier(api, 'basic')).accessToken;
  }, 60_000);
  afterAll(async () => {
    await api?.close();
  });

  const backtest = async (strategyId: string) => {
    const res = await api.inject({
      method: 'POST',
      url: '/api/v1/tiered-backtests',
      headers: bearer(token),
      payload: {
        strategyId,
        exchange,
        symbol: 'XRP/ETH',
        timeframe: '5m',
        from: new Date(Math.ceil(data.first / HOUR) * HOUR).toISOString(),
        to: new Date(Math.floor(data.last / HOUR) * HOUR).toISOString(),
        initialCapital: 10,
        precision: 'kline',
      },
    });
    expect(res.statusCode).toBe(202);
    return waitForBacktest(api, token, res.json().id);
  };

  it('stores a definition with params as written and backtests it with the defaults', async () => {
    const id = await createStrategy(api, token, TUNABLE);
    const stored = (await api.inject({ url: `/api/v1/strategies/${id}`, headers: bearer(token) })).json();
    expect(stored.definition.params).toEqual(TUNABLE.params);
    expect(stored.definition.constraints).toEqual(TUNABLE.constraints);
    expect(stored.definition.indicators.fast.period).toEqual({ param: 'fast' });

    const withParams = await backtest(id);
    const withNumbers = await backtest(await createStrategy(api, token, SMA_CROSS));
    expect(withParams).toMatchObject({ status: 'completed', error: null });
    expect(withParams.result.metrics.tradeCount).toBeGreaterThan(0);
    // The defaults are SMA_CROSS's numbers: the same run.
    expect(withParams.result.metrics).toEqual(withNumbers.result.metrics);
  });

  it('answers 400 STRATEGY_INVALID at the exact path of a bad param or reference', async () => {
    const misspelt = {
      ...TUNABLE,
      indicators: { ...TUNABLE.indicators, fast: { type: 'sma', period: { param: 'fsat' } } },
    };
    const res = await api.inject({
      method: 'POST',
      url: '/api/v1/strategies',
      headers: bearer(token),
      payload: { name: 'bad', definition: misspelt },
    });
    const body = expectProblem(res, 400, 'STRATEGY_INVALID');
    expect(body.errors).toEqual([
      { field: 'definition.indicators.fast.period', message: expect.stringMatching(/^unknown param "fsat"/) },
    ]);

    const inverted = { ...TUNABLE, params: { ...TUNABLE.params, fast: { type: 'int', default: 5, min: 20, max: 2 } } };
    const again = await api.inject({
      method: 'POST',
      url: '/api/v1/strategies',
      headers: bearer(token),
      payload: { name: 'bad', definition: inverted },
    });
    expect(expectProblem(again, 400, 'STRATEGY_INVALID').errors).toEqual(
      expect.arrayContaining([{ field: 'definition.params.fast.max', message: 'must be ≥ min' }]),
    );
  });

  it('publishes params in the strategy JSON Schema', async () => {
    const schema = (await api.inject({ url: '/api/v1/strategies/schema', headers: bearer(token) })).json();
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['params', 'constraints']));
    expect(schema.$defs.paramRef.required).toEqual(['param']);
  });
});
