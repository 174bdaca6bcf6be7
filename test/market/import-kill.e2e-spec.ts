import { createServer } from 'node:net';
import { DataSource } from 'typeorm';
import { spawnBuilt, SpawnedApp, TEST_DATABASE_URL, TEST_REDIS_URL, uniquePrefix } from '@app/testing';
import { createTestApi, TestApi } from '../support/test-app';
import { JWT_SECRET, bearer, registerAdmin } from '../auth/auth-helpers';

const WORKER = 'dist/apps/worker/src/main.js';
const PRINTS = 400_000;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

/** A CSV of prints long enough that its import is still running when the worker is killed. */
function tradesCsv(): string {
  const t0 = Date.UTC(2024, 0, 1);
  const lines = ['timestamp,id,side,price,amount'];
  for (let i = 0; i < PRINTS; i++) {
    lines.push(
      `${t0 + i * 250},${1_000_000 + i},${i % 3 ? 'buy' : 'sell'},${(2000 + (i % 97) / 100).toFixed(2)},0.${(i % 9) + 1}`,
    );
  }
  return lines.join('\n');
}

function multipart(fields: Record<string, string>, name: string, content: string) {
  const boundary = `----quant${Date.now().toString(16)}`;
  const head = Object.entries(fields)
    .map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`)
    .join('');
  const payload = Buffer.concat([
    Buffer.from(
      `${head}--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: text/csv\r\n\r\n`,
    ),
    Buffer.from(content),
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { payload, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

describe('a worker killed with SIGKILL during an import', () => {
  let api: TestApi;
  const workers: SpawnedApp[] = [];
  const prefix = uniquePrefix('kill');
  const exchange = `e2e${uniquePrefix('k').slice(-6)}`;
  const workerEnv = {
    DATABASE_URL: TEST_DATABASE_URL,
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: prefix,
    LOG_FORMAT: 'json',
    LOG_LEVEL: 'warn',
    MARKET_IMPORT_LOCK_MS: '3000',
  };
  const startWorker = async () => {
    const worker = spawnBuilt(WORKER, { ...workerEnv, WORKER_HEALTH_PORT: String(await freePort()) });
    workers.push(worker);
    await worker.waitFor(/ready in \d+ ms: worker on the redis queue/, 60_000);
    return worker;
  };

  beforeAll(async () => {
    api = await createTestApi({
      env: {
        JWT_SECRET,
        REDIS_URL: TEST_REDIS_URL,
        QUEUE_PREFIX: prefix,
        RUN_WORKER_IN_API: 'false',
        MARKET_IMPORT_MAX_BYTES: '64mb',
      },
    });
  }, 60_000);
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop('SIGKILL')));
    await api?.close();
  });

  it('leaves the series untouched, and the import is taken over and stored once', async () => {
    const admin = await registerAdmin(api);
    const body = multipart({ exchange, symbol: 'KILL/USD' }, 'kill.csv', tradesCsv());
    const res = await api.inject({
      method: 'POST',
      url: '/api/v1/market/imports',
      payload: body.payload,
      headers: { ...body.headers, ...bearer(admin.accessToken) },
    });
    expect(res.statusCode).toBe(202);
    const id: string = res.json().id;
    const db = api.app.get(DataSource);
    const status = async () =>
      (await db.query(`SELECT status FROM market_imports WHERE id = $1`, [id]))[0].status as string;
    const stored = async () =>
      Number(
        (
          await db.query(
            `SELECT coalesce(sum(c.row_count), 0)::int AS n FROM market_trade_chunks c
               JOIN market_instruments i ON i.id = c.instrument_id WHERE i.exchange = $1`,
            [exchange],
          )
        )[0].n,
      );

    const victim = await startWorker();
    for (let i = 0; (await status()) !== 'running'; i++) {
      if (i > 600) throw new Error('the import never started');
      await new Promise((r) => setTimeout(r, 50));
    }
    // Mid-import: the worker is reading the file and writing chunks in its open transaction.
    await new Promise((r) => setTimeout(r, 300));
    await victim.stop('SIGKILL');
    expect(await status()).toBe('running');
    // Nothing of the killed run is visible: its transaction never committed.
    expect(await stored()).toBe(0);

    await startWorker();
    let final = '';
    for (let i = 0; i < 1200; i++) {
      final = await status();
      if (final === 'completed' || final === 'failed') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(final).toBe('completed');
    const [summary] = await db.query(`SELECT inserted, duplicates, rejected FROM market_imports WHERE id = $1`, [id]);
    expect(summary).toEqual({ inserted: PRINTS, duplicates: 0, rejected: 0 });
    expect(await stored()).toBe(PRINTS);
  }, 240_000);
});
