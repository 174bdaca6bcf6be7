import * as net from 'node:net';
import { Client } from 'pg';
import { TEST_DATABASE_URL, spawnBuilt, SpawnedApp } from '@app/testing';
import { JWT_SECRET, PASSWORD, uniqueEmail } from './auth-helpers';
import { jsonClient } from '../support/json-client';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** The built API as a real process, so every line it logs (at debug level) can be read. */
describe('auth in the logs', () => {
  let api: SpawnedApp;
  let base: string;
  let demoted: string[] = [];
  const db = new Client({ connectionString: TEST_DATABASE_URL });

  beforeAll(async () => {
    // With no admin left, this start creates one with a generated password (suites run one at a time).
    await db.connect();
    demoted = (
      await db.query<{ id: string }>(`UPDATE users SET role = 'user' WHERE role = 'admin' RETURNING id`)
    ).rows.map((r) => r.id);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    api = spawnBuilt('dist/apps/api/src/main.js', {
      DATABASE_URL: TEST_DATABASE_URL,
      PORT: String(port),
      JWT_SECRET,
      ENCRYPTION_KEY: 'c3'.repeat(32),
      ADMIN_EMAIL: uniqueEmail('generated-admin'),
      LOG_LEVEL: 'debug',
      LOG_FORMAT: 'json',
      RUN_WORKER_IN_API: 'false',
      // Presenting a rotated refresh token again is then a replay at once, not a two-tab race.
      AUTH_REFRESH_GRACE_SECONDS: '0',
    });
    await api.waitFor(/ready in \d+ ms/, 30_000);
  }, 40_000);
  afterAll(async () => {
    await api.stop('SIGTERM');
    await db.query(`UPDATE users SET role = 'admin' WHERE id = ANY($1)`, [demoted]);
    await db.end();
  });

  const call = jsonClient(() => base);

  it('logs the generated admin password once, and it works', async () => {
    const line = await api.waitFor(/Created the admin account/, 5_000);
    const [, email, password] = /account (\S+) with the generated password (\S+) /.exec(line) ?? [];
    expect(password.length).toBeGreaterThanOrEqual(24);
    expect(api.output().split(password).length - 1).toBe(1);
    const res = await call('POST', '/auth/login', { email, password });
    expect(res.status).toBe(200);
    expect(res.json.user.role).toBe('admin');
  });

  it('carries the user id on access lines and never a password, hash or token', async () => {
    const email = uniqueEmail('logs');
    const newPassword = 'emerald-canyon-whistle-77';
    const registered = await call('POST', '/auth/register', { email, password: PASSWORD });
    expect(registered.status).toBe(201);
    const { accessToken, refreshToken, user } = registered.json;
    expect((await call('POST', '/auth/login', { email, password: 'wrong-password-1234' })).status).toBe(401);
    expect((await call('POST', '/auth/register', { email: uniqueEmail(), password: 'short-pw' })).status).toBe(400);
    const me = await call('GET', '/auth/me', undefined, { authorization: `Bearer ${accessToken}` });
    expect(me.status).toBe(200);
    const refreshed = await call('POST', '/auth/refresh', { refreshToken });
    expect(refreshed.status).toBe(200);
    expect((await call('POST', '/auth/refresh', { refreshToken })).status).toBe(401);
    const fresh = await call('POST', '/auth/login', { email, password: PASSWORD });
    const auth = { authorization: `Bearer ${fresh.json.accessToken}` };
    const key = await call('POST', '/auth/api-keys', { name: 'logs' }, auth);
    expect(key.status).toBe(201);
    expect((await call('GET', '/auth/me', undefined, { 'x-api-key': key.json.key })).status).toBe(200);
    expect((await call('GET', '/auth/me', undefined, { 'x-api-key': `${key.json.key}x` })).status).toBe(401);
    const exchangeSecrets = {
      apiKey: 'LOGSAPIKEY0123456789',
      secret: 'logs-exchange-secret-9876',
      passphrase: 'logs-pp-42',
    };
    const stored = await call(
      'POST',
      '/auth/exchange-credentials',
      { exchange: 'binance', label: 'logs', ...exchangeSecrets },
      auth,
    );
    expect(stored.status).toBe(201);
    expect(
      (
        await call(
          'POST',
          '/auth/exchange-credentials',
          { exchange: 'binance', label: 'logs', ...exchangeSecrets },
          auth,
        )
      ).status,
    ).toBe(409);
    // Leave no record under this process's key behind: vault:rotate tests re-encrypt the whole table.
    expect((await call('DELETE', `/auth/exchange-credentials/${stored.json.id}`, undefined, auth)).status).toBe(204);
    expect((await call('POST', '/auth/password', { currentPassword: PASSWORD, newPassword }, auth)).status).toBe(204);

    // Give the logger a moment to flush the last lines.
    await new Promise((r) => setTimeout(r, 300));
    const out = api.output();
    const accessLines = out
      .split('\n')
      .filter((l) => l.includes('request completed') && l.includes('/api/v1/auth/me'))
      .map((l) => JSON.parse(l));
    expect(accessLines.length).toBeGreaterThanOrEqual(2);
    expect(accessLines.filter((l) => l.status === 200).every((l) => l.userId === user.id)).toBe(true);
    for (const secret of [
      PASSWORD,
      newPassword,
      'wrong-password-1234',
      accessToken,
      refreshToken,
      refreshed.json.refreshToken,
      fresh.json.accessToken,
      key.json.key,
      ...Object.values(exchangeSecrets),
    ]) {
      expect(out).not.toContain(secret);
    }
    expect(out).not.toMatch(/\$argon2id\$/);
  }, 30_000);
});
