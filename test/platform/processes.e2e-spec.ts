import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { TEST_ADMIN_DATABASE_URL, TEST_DATABASE_URL, TEST_REDIS_URL, spawnBuilt, uniquePrefix } from '@app/testing';

const API = 'dist/apps/api/src/main.js';
const WORKER = 'dist/apps/worker/src/main.js';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** PIDs of PostgreSQL servers whose command line names `dir`. */
function postgresProcessesFor(dir: string): number[] {
  return fs
    .readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        const cmd = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8');
        return cmd.includes('postgres') && cmd.includes(dir);
      } catch {
        return false;
      }
    })
    .map(Number);
}

async function getJson(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { headers });
  return { status: res.status, body: await res.json() };
}

async function eventually(fn: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error('did not happen in time');
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('running the built apps as processes', () => {
  describe('embedded mode (npm start with nothing configured)', () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'quant-embedded-'));
    let port: number;
    // The demo seed has its own suite (test/market/demo-seed); here it would only load the CPU.
    const env = () => ({
      DATA_DIR: dataDir,
      PORT: String(port),
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'warn',
      MARKET_DEMO_DATA: 'false',
    });
    let accessToken = '';

    beforeAll(async () => {
      port = await freePort();
    });
    afterAll(() => {
      for (const pid of postgresProcessesFor(dataDir)) process.kill(pid, 'SIGKILL');
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    it('starts PostgreSQL, migrates, serves the API and docs, and stops cleanly', async () => {
      const app = spawnBuilt(API, env());
      const ready = await app.waitFor(/ready in \d+ ms/, 90_000);
      expect(ready).toContain(`http://localhost:${port}/docs`);
      expect(ready).toContain(dataDir);

      expect((await getJson(`http://127.0.0.1:${port}/health`)).body).toEqual({ status: 'ok' });
      // Without HOST the embedded mode, with its freshly generated admin, listens on loopback only.
      const external = Object.values(os.networkInterfaces())
        .flat()
        .find((i) => i?.family === 'IPv4' && !i.internal)?.address;
      expect(external).toBeDefined();
      await expect(fetch(`http://${external}:${port}/health`)).rejects.toThrow();
      const docs = await getJson(`http://127.0.0.1:${port}/docs-json`);
      expect(docs.body.openapi).toMatch(/^3\./);
      await eventually(async () => (await getJson(`http://127.0.0.1:${port}/health/detailed`)).status === 200, 10_000);
      const detailed = (await getJson(`http://127.0.0.1:${port}/health/detailed`)).body;
      expect(detailed).toMatchObject({
        runMode: 'embedded',
        queueBackend: 'postgres',
        info: { database: { status: 'up' }, queue: { backend: 'postgres', liveWorkers: 1 } },
      });
      expect(postgresProcessesFor(dataDir).length).toBeGreaterThan(0);

      // Secrets of the embedded mode are generated once and kept beside the data.
      const secrets = path.join(dataDir, 'secrets.json');
      expect(fs.statSync(secrets).mode & 0o777).toBe(0o600);
      const registered = await fetch(`http://127.0.0.1:${port}/api/v1/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'newcomer@example.com', password: 'a long enough passphrase 42' }),
      });
      expect(registered.status).toBe(201);
      accessToken = ((await registered.json()) as { accessToken: string }).accessToken;

      const exit = await app.stop('SIGTERM', 10_000);
      expect(exit.code).toBe(0);
      expect(postgresProcessesFor(dataDir)).toEqual([]);
    }, 120_000);

    it('starts again on the same data, and recovers after being killed', async () => {
      const second = spawnBuilt(API, env());
      await second.waitFor(/ready in \d+ ms/, 30_000);
      expect((await getJson(`http://127.0.0.1:${port}/health/ready`)).status).toBe(200);
      // A token issued before the restart is still valid: the JWT secret persisted.
      const me = await getJson(`http://127.0.0.1:${port}/api/v1/auth/me`, { authorization: `Bearer ${accessToken}` });
      expect(me).toMatchObject({ status: 200, body: { email: 'newcomer@example.com' } });

      await second.stop('SIGKILL');
      // The orphaned PostgreSQL keeps running after a crash...
      expect(postgresProcessesFor(dataDir).length).toBeGreaterThan(0);

      // ...and the next start takes over the data directory by itself.
      const third = spawnBuilt(API, env());
      await third.waitFor(/ready in \d+ ms/, 60_000);
      expect((await getJson(`http://127.0.0.1:${port}/health/ready`)).status).toBe(200);
      const exit = await third.stop('SIGINT', 10_000);
      expect(exit.code).toBe(0);
      expect(postgresProcessesFor(dataDir)).toEqual([]);
    }, 120_000);
  });

  describe('production mode (separate API and worker on Redis)', () => {
    it('shows the worker as live while it runs and gone after it stops', async () => {
      const [apiPort, workerPort] = [await freePort(), await freePort()];
      const shared = {
        DATABASE_URL: TEST_DATABASE_URL,
        REDIS_URL: TEST_REDIS_URL,
        QUEUE_PREFIX: uniquePrefix('proc'),
        WORKER_HEARTBEAT_INTERVAL_MS: '1000',
        LOG_FORMAT: 'json',
        LOG_LEVEL: 'warn',
      };
      const worker = spawnBuilt(WORKER, { ...shared, WORKER_HEALTH_PORT: String(workerPort) });
      const api = spawnBuilt(API, { ...shared, PORT: String(apiPort) });
      try {
        await worker.waitFor(/ready in \d+ ms: worker on the redis queue/, 30_000);
        await api.waitFor(/ready in \d+ ms/, 30_000);
        expect((await getJson(`http://127.0.0.1:${workerPort}/health`)).status).toBe(200);
        expect((await getJson(`http://127.0.0.1:${workerPort}/health/ready`)).body).toMatchObject({ status: 'ok' });

        const workerPids = async () =>
          ((await getJson(`http://127.0.0.1:${apiPort}/health/detailed`)).body.info?.queue?.workers ?? []).map(
            (w: { pid: number }) => w.pid,
          );
        expect(await workerPids()).toContain(worker.child.pid);
        expect((await getJson(`http://127.0.0.1:${apiPort}/health/detailed`)).body.workerInProcess).toBe(false);

        const exit = await worker.stop('SIGTERM', 30_000);
        expect(exit.code).toBe(0);
        await eventually(async () => !(await workerPids()).includes(worker.child.pid), 30_000);
      } finally {
        await api.stop('SIGTERM');
        await worker.stop('SIGKILL');
      }
    }, 90_000);

    it('refuses to serve when the schema is behind', async () => {
      const admin = new Client({ connectionString: TEST_ADMIN_DATABASE_URL });
      await admin.connect();
      await admin.query('DROP DATABASE IF EXISTS quant_e2e_unmigrated');
      await admin.query('CREATE DATABASE quant_e2e_unmigrated');
      await admin.end();
      const api = spawnBuilt(API, {
        DATABASE_URL: TEST_DATABASE_URL.replace(/\/[^/]+$/, '/quant_e2e_unmigrated'),
        PORT: String(await freePort()),
      });
      const exit = await api.exited(30_000);
      expect(exit.code).toBe(1);
      expect(api.output()).toMatch(/database schema is behind: \d+ migration\(s\) pending .*npm run migration:run/);
    }, 60_000);

    it('refuses to start on an invalid variable, naming it', async () => {
      const api = spawnBuilt(API, { PORT: 'abc', DATABASE_URL: TEST_DATABASE_URL });
      const exit = await api.exited(20_000);
      expect(exit.code).toBe(1);
      expect(api.output()).toContain('PORT must be an integer 1-65535, got "abc"');
    }, 30_000);

    it('refuses production without its secrets', async () => {
      const api = spawnBuilt(API, { NODE_ENV: 'production' });
      const exit = await api.exited(20_000);
      expect(exit.code).toBe(1);
      expect(api.output()).toContain('JWT_SECRET is required when NODE_ENV=production');
    }, 30_000);
  });
});
