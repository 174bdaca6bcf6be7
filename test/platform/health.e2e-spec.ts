import { Controller, Get, Module } from '@nestjs/common';
import { ApiOkResponse } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { DataSource } from 'typeorm';
import { applyMigrations, EmbeddedPostgres, loadConfig, startEmbeddedPostgres } from '@app/platform';
import { TEST_REDIS_URL, testEnv, uniquePrefix } from '@app/testing';
import { Public } from '../../apps/api/src/auth/auth.decorators';
import { createTestApi, TestApi } from '../support/test-app';

// A test-only route, outside the auth under test here.
@Public()
@Controller('probe-db')
class ProbeDbController {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  @Get()
  @ApiOkResponse()
  async now(): Promise<{ ok: boolean }> {
    await this.ds.query('SELECT 1');
    return { ok: true };
  }
}

@Module({ controllers: [ProbeDbController] })
class ProbeDbModule {}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

async function eventually(fn: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error('did not happen in time');
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('health endpoints', () => {
  describe('in production', () => {
    let api: TestApi;
    const OPS_TOKEN = 'ops-token-for-tests-0123456789abcdef';

    beforeAll(async () => {
      api = await createTestApi({
        env: {
          NODE_ENV: 'production',
          JWT_SECRET: 'x'.repeat(40),
          ENCRYPTION_KEY: 'a'.repeat(64),
          OPS_TOKEN,
          // Production refuses to start without an admin; this one is created unless one exists.
          ADMIN_PASSWORD: 'health-test-admin-password',
          REDIS_URL: TEST_REDIS_URL,
          QUEUE_PREFIX: uniquePrefix('health'),
        },
      });
    });
    afterAll(async () => {
      await api.close();
    });

    it('answers readiness with database and queue up', async () => {
      const res = await api.inject('/health/ready');
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({
        status: 'ok',
        info: { database: { status: 'up' }, queue: { status: 'up', backend: 'redis' } },
      });
    });

    it('requires the ops token for /health/detailed', async () => {
      const none = await api.inject('/health/detailed');
      expect(none.statusCode).toBe(401);
      expect(none.json().code).toBe('OPS_TOKEN_REQUIRED');
      const wrong = await api.inject({ url: '/health/detailed', headers: { authorization: 'Bearer nope' } });
      expect(wrong.statusCode).toBe(401);
    });

    it('shows database, queue, redis, memory, event loop and version with the token', async () => {
      const res = await api.inject({ url: '/health/detailed', headers: { authorization: `Bearer ${OPS_TOKEN}` } });
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.info.database).toMatchObject({
        status: 'up',
        latencyMs: expect.any(Number),
        pool: { total: expect.any(Number), idle: expect.any(Number), waiting: 0, max: 5 },
        migrationsPending: false,
      });
      expect(body.info.queue).toMatchObject({
        backend: 'redis',
        liveWorkers: expect.any(Number),
        queues: { system: expect.any(Object) },
      });
      expect(body.info.redis).toMatchObject({ status: 'up', configured: true, latencyMs: expect.any(Number) });
      expect(body.info.memory.rssBytes).toBeGreaterThan(0);
      expect(body.eventLoop).toMatchObject({ p99Ms: expect.any(Number) });
      expect(body).toMatchObject({
        runMode: 'external',
        version: expect.any(String),
        uptimeSeconds: expect.any(Number),
      });
      expect(JSON.stringify(body)).not.toContain(OPS_TOKEN);
    });
  });

  describe('when PostgreSQL goes down and comes back', () => {
    let pg: EmbeddedPostgres;
    let api: TestApi;
    let port: number;
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'quant-health-pg-'));

    beforeAll(async () => {
      port = await freePort();
      pg = await startEmbeddedPostgres({ dataDir, port, database: 'quant', log: () => undefined });
      const env = { DATABASE_URL: pg.url, REDIS_URL: undefined };
      await applyMigrations(loadConfig(testEnv(env)), pg.url);
      api = await createTestApi({ env, extraModules: [ProbeDbModule] });
    }, 60_000);
    afterAll(async () => {
      await api?.close();
      await pg?.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    it('reports down within the dependency timeout, answers 503 to requests, and recovers by itself', async () => {
      expect((await api.inject('/health/ready')).statusCode).toBe(200);
      expect((await api.inject('/api/v1/probe-db')).statusCode).toBe(200);

      await pg.stop();

      const started = Date.now();
      const ready = await api.inject('/health/ready');
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(ready.statusCode).toBe(503);
      expect(ready.json()).toMatchObject({ status: 'error', error: { database: { status: 'down' } } });

      const t0 = Date.now();
      const req = await api.inject('/api/v1/probe-db');
      expect(Date.now() - t0).toBeLessThan(5_000);
      expect(req.statusCode).toBe(503);
      expect(req.json()).toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE', status: 503 });
      expect(req.headers['retry-after']).toBeDefined();
      expect((await api.inject('/health')).statusCode).toBe(200);

      pg = await startEmbeddedPostgres({ dataDir, port, database: 'quant', log: () => undefined });
      await eventually(async () => (await api.inject('/health/ready')).statusCode === 200);
      expect((await api.inject('/api/v1/probe-db')).statusCode).toBe(200);
    }, 60_000);
  });

  describe('when Redis goes down and comes back', () => {
    let redis: ChildProcess;
    let api: TestApi;
    let port: number;

    const startRedis = async () => {
      redis = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        {
          stdio: 'ignore',
        },
      );
      await eventually(
        () =>
          new Promise<boolean>((resolve) => {
            const s = net.connect(port, '127.0.0.1', () => {
              s.end();
              resolve(true);
            });
            s.on('error', () => resolve(false));
          }),
        10_000,
      );
    };

    beforeAll(async () => {
      port = await freePort();
      await startRedis();
      api = await createTestApi({
        env: { REDIS_URL: `redis://127.0.0.1:${port}`, QUEUE_PREFIX: uniquePrefix('down') },
      });
    }, 30_000);
    afterAll(async () => {
      await api?.close();
      redis?.kill('SIGKILL');
    });

    it('says Redis and the queue are down, then recovers', async () => {
      expect((await api.inject('/health/ready')).statusCode).toBe(200);
      const exited = new Promise((r) => redis.once('exit', r));
      redis.kill('SIGKILL');
      await exited;

      const started = Date.now();
      const ready = await api.inject('/health/ready');
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(ready.statusCode).toBe(503);
      expect(ready.json().error.queue).toMatchObject({ status: 'down', backend: 'redis' });
      const detailed = await api.inject('/health/detailed');
      expect(detailed.statusCode).toBe(503);
      expect(detailed.json().error.redis).toMatchObject({ status: 'down' });

      await startRedis();
      await eventually(async () => (await api.inject('/health/ready')).statusCode === 200, 20_000);
      await eventually(async () => (await api.inject('/health/detailed')).statusCode === 200, 10_000);
      const after = await api.inject('/health/detailed');
      expect(after.json()).toMatchObject({ status: 'ok', info: { redis: { status: 'up' } } });
    }, 60_000);
  });
});
