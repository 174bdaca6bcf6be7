import { DataSource } from 'typeorm';
import { TEST_REDIS_URL, uniquePrefix } from '@app/testing';
import { createTestApi, TestApi } from '../support/test-app';
import {
  bearer,
  expectProblem,
  JWT_SECRET,
  login,
  register,
  registerAdmin,
  Session,
  uniqueEmail,
} from './auth-helpers';

describe('admin', () => {
  let api: TestApi;
  let admin: Session;
  let user: Session;

  beforeAll(async () => {
    api = await createTestApi({ env: { JWT_SECRET } });
    admin = await registerAdmin(api);
    user = await register(api);
  });
  afterAll(async () => {
    await api.close();
  });

  const users = (query: string, session: Session = admin) =>
    api.inject({ url: `/api/v1/admin/users${query}`, headers: bearer(session.accessToken) });
  const patch = (id: string, payload: object, session: Session = admin) =>
    api.inject({ method: 'PATCH', url: `/api/v1/admin/users/${id}`, headers: bearer(session.accessToken), payload });

  it('is for admins only', async () => {
    expectProblem(await users('', user), 403, 'INSUFFICIENT_ROLE');
    expectProblem(await patch(user.user.id, { tier: 'elite' }, user), 403, 'INSUFFICIENT_ROLE');
    expectProblem(await api.inject('/api/v1/admin/users'), 401, 'AUTHENTICATION_REQUIRED');
  });

  it('pages through users newest first with an opaque cursor', async () => {
    const created: string[] = [];
    for (let i = 0; i < 5; i++) created.push((await register(api, uniqueEmail('page'))).user.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await users(`?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.statusCode).toBe(200);
      const page = res.json();
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((u: { id: string }) => u.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    // The five newest users, newest first, lead the list.
    expect(seen.slice(0, 5)).toEqual([...created].reverse());
    const [{ count }] = await api.app.get(DataSource).query(`SELECT count(*)::int AS count FROM users`);
    expect(seen).toHaveLength(count);
  });

  it('filters by tier and role', async () => {
    const pro = await register(api);
    expect((await patch(pro.user.id, { tier: 'pro' })).statusCode).toBe(200);
    const page = (await users('?tier=pro&limit=100')).json();
    expect(page.items.map((u: { id: string }) => u.id)).toContain(pro.user.id);
    expect(page.items.every((u: { tier: string }) => u.tier === 'pro')).toBe(true);
    const admins = (await users('?role=admin&limit=100')).json();
    expect(admins.items.every((u: { role: string }) => u.role === 'admin')).toBe(true);
    expect(admins.items.map((u: { id: string }) => u.id)).toContain(admin.user.id);
  });

  it('rejects bad list parameters with 400', async () => {
    expectProblem(await users('?limit=101'), 400, 'VALIDATION_FAILED');
    expectProblem(await users('?limit=0'), 400, 'VALIDATION_FAILED');
    expectProblem(await users('?tier=platinum'), 400, 'VALIDATION_FAILED');
    expectProblem(await users('?cursor=not-a-cursor'), 400, 'INVALID_CURSOR');
    expectProblem(await users(`?cursor=${encodeURIComponent("' OR 1=1 --")}`), 400, 'INVALID_CURSOR');
    expectProblem(await users('?sort=email'), 400, 'VALIDATION_FAILED');
  });

  it('changes tier and role; the change applies to the next request', async () => {
    const target = await register(api);
    const res = await patch(target.user.id, { tier: 'elite', role: 'admin' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: target.user.id, tier: 'elite', role: 'admin' });
    const me = await api.inject({ url: '/api/v1/auth/me', headers: bearer(target.accessToken) });
    expect(me.json()).toMatchObject({ tier: 'elite', role: 'admin' });
    expect((await users('', target)).statusCode).toBe(200);
  });

  it('disables a user: tokens and refresh stop working, login fails', async () => {
    const target = await register(api);
    expect((await api.inject({ url: '/api/v1/auth/me', headers: bearer(target.accessToken) })).statusCode).toBe(200);
    expect((await patch(target.user.id, { disabled: true })).json().disabled).toBe(true);
    expectProblem(
      await api.inject({ url: '/api/v1/auth/me', headers: bearer(target.accessToken) }),
      401,
      'USER_DISABLED',
    );
    const refresh = await api.inject({
      method: 'POST',
      url: '/api/v1/auth/refresh',
      payload: { refreshToken: target.refreshToken },
    });
    expect(refresh.statusCode).toBe(401);
    expectProblem(
      await api.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: target.user.email, password: 'violet-harbor-lantern-42' },
      }),
      401,
      'INVALID_CREDENTIALS',
    );
    await patch(target.user.id, { disabled: false });
    expect((await login(api, target.user.email)).user.id).toBe(target.user.id);
  });

  it('rejects bad patches', async () => {
    expectProblem(await patch(user.user.id, { tier: 'platinum' }), 400, 'VALIDATION_FAILED');
    expectProblem(await patch(user.user.id, { email: 'x@y.z' }), 400, 'VALIDATION_FAILED');
    expectProblem(await patch(user.user.id, { disabled: 'yes' }), 400, 'VALIDATION_FAILED');
    expectProblem(await patch('not-a-uuid', { tier: 'pro' }), 400, 'VALIDATION_FAILED');
    expectProblem(await patch('00000000-0000-4000-8000-000000000000', { tier: 'pro' }), 404, 'USER_NOT_FOUND');
    expectProblem(await patch(admin.user.id, { disabled: true }), 409, 'OWN_ACCOUNT_CHANGE');
    expectProblem(await patch(admin.user.id, { role: 'user' }), 409, 'OWN_ACCOUNT_CHANGE');
  });

  it('never shows password hashes', async () => {
    const res = await users('?limit=100');
    expect(res.body).not.toMatch(/argon2|password/i);
  });
});

describe('admin bootstrap and /health/detailed in production', () => {
  const OPS_TOKEN = 'ops-token-for-admin-tests-0123456789';
  const production = {
    NODE_ENV: 'production',
    JWT_SECRET,
    ENCRYPTION_KEY: 'b'.repeat(64),
    OPS_TOKEN,
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: uniquePrefix('admin'),
  };
  let demoted: string[] = [];
  let api: TestApi | undefined;

  beforeAll(async () => {
    // Suites run one after another (--runInBand): with no admin left, the bootstrap has work to do.
    const probe = await createTestApi({ env: { JWT_SECRET } });
    try {
      const rows: Array<{ id: string }> = await probe.app
        .get(DataSource)
        .query(`UPDATE users SET role = 'user' WHERE role = 'admin' RETURNING id`)
        .then(([r]: [Array<{ id: string }>]) => r);
      demoted = rows.map((r) => r.id);
    } finally {
      await probe.close();
    }
  });
  afterAll(async () => {
    if (api) {
      if (demoted.length > 0) {
        await api.app.get(DataSource).query(`UPDATE users SET role = 'admin' WHERE id = ANY($1)`, [demoted]);
      }
      await api.close();
    }
  });

  it('refuses to start in production when no admin exists and ADMIN_PASSWORD is unset', async () => {
    await expect(createTestApi({ env: production })).rejects.toThrow(/ADMIN_PASSWORD is not set/);
  });

  it('refuses a weak ADMIN_PASSWORD', async () => {
    await expect(createTestApi({ env: { ...production, ADMIN_PASSWORD: 'short' } })).rejects.toThrow(
      /ADMIN_PASSWORD is not acceptable/,
    );
  });

  it('creates the admin from ADMIN_EMAIL and ADMIN_PASSWORD, who may read /health/detailed', async () => {
    const email = uniqueEmail('first-admin');
    const password = 'granite-meadow-falcon-19';
    api = await createTestApi({ env: { ...production, ADMIN_EMAIL: email, ADMIN_PASSWORD: password } });
    const res = await api.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } });
    expect(res.statusCode).toBe(200);
    const session: Session = res.json();
    expect(session.user).toMatchObject({ role: 'admin', email });

    expectProblem(await api.inject('/health/detailed'), 401, 'OPS_TOKEN_REQUIRED');
    const asAdmin = await api.inject({ url: '/health/detailed', headers: bearer(session.accessToken) });
    expect(asAdmin.statusCode).toBe(200);
    expect(asAdmin.json().info.database.status).toBe('up');
    expect((await api.inject({ url: '/health/detailed', headers: bearer(OPS_TOKEN) })).statusCode).toBe(200);

    const plain = await register(api);
    expectProblem(
      await api.inject({ url: '/health/detailed', headers: bearer(plain.accessToken) }),
      403,
      'INSUFFICIENT_ROLE',
    );
    // Probes and metrics stay open without a token.
    expect((await api.inject('/health')).statusCode).toBe(200);
    expect((await api.inject('/health/ready')).statusCode).toBe(200);
    expect((await api.inject('/metrics')).statusCode).toBe(200);
  });
});
