import { DataSource } from 'typeorm';
import { JobProducer } from '@app/platform';
import { TEST_REDIS_URL, uniquePrefix } from '@app/testing';
import { TestApi, createTestApi } from '../support/test-app';

/**
 * The gauges the alerts read, computed at scrape time by the API: the age of the oldest waiting
 * job (QueueBacklogOld), the exchange sync lag (ExchangeSyncLagging), dependency checks and
 * readiness (DependencyUnreachable, ApiNotReady).
 */
describe('operational metrics of the API', () => {
  let api: TestApi;
  let db: DataSource;
  const exchange = `opsmetrics${Date.now()}`;

  const scrape = async () => (await api.inject('/metrics')).body;
  const sample = (body: string, name: string, labels: string) => {
    const m = new RegExp(`^${name}\\{${labels.replace(/[/]/g, '\\/')}\\} (\\S+)$`, 'm').exec(body);
    return m ? Number(m[1]) : undefined;
  };

  beforeAll(async () => {
    api = await createTestApi({
      env: { REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: uniquePrefix('ops-metrics'), RUN_WORKER_IN_API: 'false' },
    });
    db = api.app.get(DataSource);
  });
  afterAll(async () => {
    await db?.query(`DELETE FROM market_sync_state WHERE exchange = $1`, [exchange]);
    await api?.close();
  });

  it('reports 0 for a queue where nothing waits, and the age of the oldest waiting job once one waits', async () => {
    expect(sample(await scrape(), 'queue_oldest_waiting_seconds', 'queue="system"')).toBe(0);
    // No worker runs in this process: the jobs wait. The oldest one sets the age.
    await api.app.get(JobProducer).add('system', 'system.prune-heartbeats', { olderThanMs: 1 });
    await new Promise((r) => setTimeout(r, 1_200));
    await api.app.get(JobProducer).add('system', 'system.prune-heartbeats', { olderThanMs: 2 });
    const age = sample(await scrape(), 'queue_oldest_waiting_seconds', 'queue="system"');
    expect(age).toBeGreaterThanOrEqual(1.2);
    expect(age).toBeLessThan(120);
    expect(sample(await scrape(), 'queue_oldest_waiting_seconds', 'queue="backtests"')).toBe(0);
  });

  it('reports the seconds since each synced series last succeeded, or since it was first seen', async () => {
    await db.query(
      `INSERT INTO market_sync_state (exchange, symbol, timeframe, last_success_at, created_at)
       VALUES ($1, 'AAA/USD', '1m', now() - interval '1 hour', now() - interval '2 days'),
              ($1, 'BBB/USD', '1m', NULL, now() - interval '10 minutes')`,
      [exchange],
    );
    const body = await scrape();
    const lag = (symbol: string) =>
      sample(body, 'market_sync_lag_seconds', `exchange="${exchange}",symbol="${symbol}",timeframe="1m"`);
    expect(lag('AAA/USD')).toBeGreaterThanOrEqual(3600);
    expect(lag('AAA/USD')).toBeLessThan(3700);
    expect(lag('BBB/USD')).toBeGreaterThanOrEqual(600);
    expect(lag('BBB/USD')).toBeLessThan(700);
  });

  it('reports PostgreSQL, Redis and the queue up and the API ready', async () => {
    const body = await scrape();
    for (const dependency of ['postgres', 'redis', 'queue']) {
      expect([dependency, sample(body, 'dependency_up', `dependency="${dependency}"`)]).toEqual([dependency, 1]);
    }
    expect(/^app_ready 1$/m.test(body)).toBe(true);
  });
});
