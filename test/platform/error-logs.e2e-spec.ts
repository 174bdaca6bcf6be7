import * as net from 'node:net';
import { Client } from 'pg';
import { TEST_DATABASE_URL, SpawnedApp, spawnBuilt } from '@app/testing';
import { jsonClient } from '../support/json-client';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

const uniqueEmail = (label: string) => `${label}-${Math.random().toString(36).slice(2, 10)}@logs.example.com`;
const PASSWORD = 'saffron-meadow-compass-81';

/**
 * The built API as a real process, so the lines it writes are exactly what
 * ops would read: failed SQL and expected 5xx states, at the right level,
 * without a query's values.
 */
describe('errors in the logs', () => {
  let api: SpawnedApp;
  let base: string;
  const db = new Client({ connectionString: TEST_DATABASE_URL });

  beforeAll(async () => {
    await db.connect();
    base = `http://127.0.0.1:${await freePort()}`;
    api = spawnBuilt('dist/apps/api/src/main.js', {
      DATABASE_URL: TEST_DATABASE_URL,
      PORT: new URL(base).port,
      JWT_SECRET: 'error-logs-e2e-secret-0123456789abcdef012345',
      ENCRYPTION_KEY: 'd4'.repeat(32),
      // Short enough that a statement waiting on the test's table lock fails fast.
      DATABASE_STATEMENT_TIMEOUT_MS: '300',
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
      RUN_WORKER_IN_API: 'false',
      MARKET_DEMO_DATA: 'false',
      THROTTLE_REGISTER_LIMIT: '1000',
    });
    await api.waitFor(/ready in \d+ ms/, 30_000);
  }, 40_000);
  afterAll(async () => {
    await api.stop('SIGTERM');
    await db.end();
  });

  const call = jsonClient(() => base);

  /** The JSON lines logged for one request id, once its access line is out. */
  const linesOf = async (requestId: string): Promise<Array<Record<string, any>>> => {
    await api.waitFor(new RegExp(`"requestId":"${requestId}".*request completed`), 5_000);
    return api
      .output()
      .split('\n')
      .filter((l) => l.includes(requestId))
      .map((l) => JSON.parse(l));
  };

  it('logs a failed statement by its shape and SQLSTATE, never its values', async () => {
    const email = uniqueEmail('sql');
    const session = await call('POST', '/auth/register', { email, password: PASSWORD });
    expect(session.status).toBe(201);
    const auth = { authorization: `Bearer ${session.json.accessToken}` };
    const credential = {
      exchange: 'binance',
      label: 'locked',
      apiKey: 'LOCKEDAPIKEY0123456789',
      secret: 'locked-exchange-secret-5555',
      passphrase: 'locked-pp-77',
    };

    // Writes wait on the lock past the statement timeout; reads (the auth guard's) still pass.
    await db.query('BEGIN');
    try {
      await db.query('LOCK TABLE users, api_keys, exchange_credentials IN EXCLUSIVE MODE');
      const failed = [
        await call('POST', '/auth/exchange-credentials', credential, auth),
        await call('POST', '/auth/api-keys', { name: 'locked' }, auth),
        await call('POST', '/auth/register', { email: uniqueEmail('locked'), password: PASSWORD }),
      ];
      for (const res of failed) expect(res.json).toMatchObject({ status: 503, code: 'DEPENDENCY_UNAVAILABLE' });

      const lines = (await Promise.all(failed.map((res) => linesOf(res.json.requestId)))).flat();
      const problemLines = lines.filter((l) => l.error);
      expect(problemLines).toHaveLength(3);
      for (const line of problemLines) {
        // A known dependency state: a warning that names the statement, without a stack.
        expect(line).toMatchObject({ level: 40, code: 'DEPENDENCY_UNAVAILABLE', error: { code: '57014' } });
        expect(line.error.query).toMatch(/^(INSERT INTO|UPDATE|SELECT)/);
        expect(line.error.stack).toBeUndefined();
      }
      expect(problemLines.map((l) => l.error.query).join('\n')).toMatch(
        /INSERT INTO exchange_credentials[\s\S]*INSERT INTO users/,
      );
      const text = lines.map((l) => JSON.stringify(l)).join('\n');
      for (const leak of [
        '"parameters"',
        'driverError',
        '"Buffer"',
        '$argon2',
        credential.apiKey.slice(-4),
        credential.secret,
        credential.passphrase,
      ]) {
        expect(text).not.toContain(leak);
      }
    } finally {
      await db.query('ROLLBACK');
    }
  });

  it('logs 503 AI_DISABLED as a warning without a stack, never as an error', async () => {
    const session = await call('POST', '/auth/register', { email: uniqueEmail('ai'), password: PASSWORD });
    const auth = { authorization: `Bearer ${session.json.accessToken}` };
    const answers = [
      await call('GET', '/ai/sessions', undefined, auth),
      await call('POST', '/ai/sessions', { title: 'no key' }, auth),
    ];
    for (const res of answers) expect(res.json).toMatchObject({ status: 503, code: 'AI_DISABLED' });
    const lines = (await Promise.all(answers.map((res) => linesOf(res.json.requestId)))).flat();
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const line of lines) {
      expect(line.level).toBeLessThan(50);
      expect(JSON.stringify(line)).not.toMatch(/stack|\\n\s+at /);
    }
    expect(lines.filter((l) => l.msg === 'request completed').map((l) => l.level)).toEqual([40, 40]);
  });
});
