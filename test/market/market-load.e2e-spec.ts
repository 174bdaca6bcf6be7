import { TEST_REDIS_URL, uniquePrefix } from '@app/testing';
import { storeSyntheticCandles } from '../support/backtest-fixtures';
import { createTestApi, TestApi } from '../support/test-app';
import { JWT_SECRET, bearer, register } from '../auth/auth-helpers';

const YEAR_MINUTES = 525_600;

describe('market reads under load (issue 14 item 1)', () => {
  let api: TestApi;
  const exchange = `e2e${uniquePrefix('l').slice(-6)}`;
  let range: { from: number; to: number };

  beforeAll(async () => {
    api = await createTestApi({
      env: {
        JWT_SECRET,
        REDIS_URL: TEST_REDIS_URL,
        QUEUE_PREFIX: uniquePrefix('load'),
        RUN_WORKER_IN_API: 'false',
        DATABASE_POOL_SIZE: '4',
        // Counted requests never bind here: the cost budget and the pool share must.
        THROTTLE_MARKET_DATA_LIMIT: '100000',
        MARKET_READ_COST_BUDGET: '3000',
        // Reads queue for their pool share rather than answer busy, so the budget is what stops them.
        MARKET_READ_WAIT_MS: '60000',
      },
    });
    range = await storeSyntheticCandles(api, exchange, 'LOAD/USD', YEAR_MINUTES);
  }, 180_000);
  afterAll(async () => {
    await api?.close();
  });

  it("keeps another user's /auth/me and /health/ready answering while one user runs heavy reads", async () => {
    const heavy = await register(api);
    const other = await register(api);
    // 4h bars of 1m data: every uncached read decodes about 167 chunks; each `to` differs, so none is cached.
    const heavyRead = (k: number) =>
      api.inject({
        url:
          `/api/v1/market/candles?exchange=${exchange}&symbol=LOAD/USD&timeframe=4h&limit=1000` +
          `&from=${range.from}&to=${range.to - k * 60_000}`,
        headers: bearer(heavy.accessToken),
      });
    const statuses: string[] = [];
    const codes = new Set<string>();
    const otherStatuses: string[] = [];
    let k = 0;
    for (let wave = 0; wave < 6; wave++) {
      const reads = Array.from({ length: 10 }, () => heavyRead(k++));
      const probes = Array.from({ length: 3 }, () => [
        api.inject({ url: '/api/v1/auth/me', headers: bearer(other.accessToken) }),
        api.inject({ url: '/health/ready' }),
      ]).flat();
      const [done, probed] = await Promise.all([Promise.all(reads), Promise.all(probes)]);
      for (const res of done) {
        statuses.push(String(res.statusCode));
        if (res.statusCode !== 200) codes.add(res.json().code);
      }
      otherStatuses.push(...probed.map((r) => `${r.statusCode} ${r.statusCode === 200 ? '' : r.body}`.trim()));
    }
    expect(otherStatuses).toEqual(otherStatuses.map(() => '200'));
    expect(statuses.filter((s) => !['200', '429', '503'].includes(s))).toEqual([]);
    expect(statuses.filter((s) => s === '200').length).toBeGreaterThan(0);
    // The budget (3000 chunks) runs out after about 18 such reads: the rest are refused before touching the database.
    expect(statuses.filter((s) => s === '429').length).toBeGreaterThan(0);
    expect(codes.has('MARKET_COST_LIMITED')).toBe(true);
    for (const code of codes) expect(['MARKET_COST_LIMITED', 'MARKET_READS_BUSY']).toContain(code);

    // The other user's own budget is untouched: a read of theirs is served.
    const theirs = await api.inject({
      url: `/api/v1/market/candles?exchange=${exchange}&symbol=LOAD/USD&timeframe=1d&from=${range.from}&limit=400`,
      headers: bearer(other.accessToken),
    });
    expect(theirs.statusCode).toBe(200);
    expect(theirs.json().bars).toHaveLength(365);
    const metrics = (await api.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/market_read_rejections_total\{reason="cost"\} [1-9]/);
  }, 120_000);
});
