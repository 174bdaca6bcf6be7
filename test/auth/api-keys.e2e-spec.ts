import { DataSource } from 'typeorm';
import { createTestApi, TestApi } from '../support/test-app';
import { bearer, expectProblem, JWT_SECRET, register, Session } from './auth-helpers';

describe('API keys', () => {
  let api: TestApi;
  let owner: Session;
  let stranger: Session;
  const seen: string[] = [];
  const call = async (
    method: 'GET' | 'POST' | 'DELETE',
    url: string,
    headers: Record<string, string>,
    payload?: object,
  ) => {
    const res = await api.inject({ method, url: `/api/v1/auth/api-keys${url}`, headers, payload });
    seen.push(res.body);
    return res;
  };
  const create = async (session: Session, payload: object = { name: 'notebook' }) => {
    const res = await call('POST', '', bearer(session.accessToken), payload);
    expect(res.statusCode).toBe(201);
    return res.json<{ id: string; key: string; prefix: string; name: string; lastUsedAt: string | null }>();
  };

  beforeAll(async () => {
    api = await createTestApi({ env: { JWT_SECRET } });
    owner = await register(api);
    stranger = await register(api);
  });
  afterAll(async () => {
    await api.close();
  });

  it('shows the key once, stores only its hash, and lists it by prefix', async () => {
    const created = await create(owner, { name: 'research notebook' });
    expect(created.key.startsWith(`${created.prefix}_`)).toBe(true);
    expect(created.prefix).toMatch(/^qk_[A-Za-z0-9_-]{8}$/);
    const list = await call('GET', '', bearer(owner.accessToken));
    expect(list.statusCode).toBe(200);
    const item = list.json().items.find((k: { id: string }) => k.id === created.id);
    expect(item).toMatchObject({ name: 'research notebook', prefix: created.prefix, lastUsedAt: null });
    expect(list.body).not.toContain(created.key);
    const rows = await api.app.get(DataSource).query(`SELECT key_hash FROM api_keys WHERE id = $1`, [created.id]);
    expect(rows[0].key_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(rows[0].key_hash).not.toContain(created.key);
  });

  it('acts as its owner with the owner tier, and records the last use', async () => {
    const { key, id } = await create(owner);
    await api.app.get(DataSource).query(`UPDATE users SET tier = 'pro' WHERE id = $1`, [owner.user.id]);
    const me = await api.inject({ url: '/api/v1/auth/me', headers: { 'x-api-key': key } });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ id: owner.user.id, tier: 'pro' });
    const list = (await call('GET', '', { 'x-api-key': key })).json();
    expect(list.items.find((k: { id: string }) => k.id === id).lastUsedAt).toEqual(expect.any(String));
  });

  it('cannot mint more keys or change the password with a key', async () => {
    const { key } = await create(owner);
    expectProblem(await call('POST', '', { 'x-api-key': key }, { name: 'x' }), 403, 'SESSION_REQUIRED');
    const res = await api.inject({
      method: 'POST',
      url: '/api/v1/auth/password',
      headers: { 'x-api-key': key },
      payload: { currentPassword: 'whatever-123456', newPassword: 'emerald-canyon-whistle-77' },
    });
    expectProblem(res, 403, 'SESSION_REQUIRED');
  });

  it('answers 401 after revocation', async () => {
    const { key, id } = await create(owner);
    expect((await api.inject({ url: '/api/v1/auth/me', headers: { 'x-api-key': key } })).statusCode).toBe(200);
    expect((await call('DELETE', `/${id}`, bearer(owner.accessToken))).statusCode).toBe(204);
    expectProblem(await api.inject({ url: '/api/v1/auth/me', headers: { 'x-api-key': key } }), 401, 'API_KEY_INVALID');
    expectProblem(await call('DELETE', `/${id}`, bearer(owner.accessToken)), 404, 'API_KEY_NOT_FOUND');
    expect(
      (await call('GET', '', bearer(owner.accessToken))).json().items.map((k: { id: string }) => k.id),
    ).not.toContain(id);
  });

  it("answers 404 for another user's key and leaves it working", async () => {
    const { key, id } = await create(owner);
    expectProblem(await call('DELETE', `/${id}`, bearer(stranger.accessToken)), 404, 'API_KEY_NOT_FOUND');
    expect((await call('GET', '', bearer(stranger.accessToken))).body).not.toContain(id);
    expect((await api.inject({ url: '/api/v1/auth/me', headers: { 'x-api-key': key } })).statusCode).toBe(200);
  });

  it('stops working after its expiry', async () => {
    const expiresAt = new Date(Date.now() + 60_000).toISOString();
    const { key, id } = await create(owner, { name: 'short-lived', expiresAt });
    expect((await api.inject({ url: '/api/v1/auth/me', headers: { 'x-api-key': key } })).statusCode).toBe(200);
    await api.app
      .get(DataSource)
      .query(`UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = $1`, [id]);
    expectProblem(await api.inject({ url: '/api/v1/auth/me', headers: { 'x-api-key': key } }), 401, 'API_KEY_INVALID');
  });

  it('rejects bad input with 400', async () => {
    const h = bearer(owner.accessToken);
    expectProblem(await call('POST', '', h, { name: 'x', extra: true }), 400, 'VALIDATION_FAILED');
    expectProblem(await call('POST', '', h, { name: '' }), 400, 'VALIDATION_FAILED');
    expectProblem(await call('POST', '', h, { name: 'x'.repeat(101) }), 400, 'VALIDATION_FAILED');
    expectProblem(await call('POST', '', h, { name: 'x', expiresAt: 'tomorrow' }), 400, 'VALIDATION_FAILED');
    expectProblem(await call('POST', '', h, { name: 'x', expiresAt: '2001-01-01T00:00:00Z' }), 400, 'INVALID_EXPIRY');
    expectProblem(await call('DELETE', `/not-a-uuid`, h), 400, 'VALIDATION_FAILED');
    expectProblem(await call('DELETE', `/${encodeURIComponent("1' OR '1'='1")}`, h), 400, 'VALIDATION_FAILED');
  });

  it('stores SQL metacharacters in the name literally', async () => {
    const name = `x'); DELETE FROM api_keys; --`;
    const created = await create(owner, { name });
    expect(created.name).toBe(name);
    const list = (await call('GET', '', bearer(owner.accessToken))).json();
    expect(list.items.find((k: { id: string }) => k.id === created.id).name).toBe(name);
  });

  it('rejects unknown and malformed keys', async () => {
    expectProblem(
      await api.inject({ url: '/api/v1/auth/me', headers: { 'x-api-key': 'qk_nope' } }),
      401,
      'API_KEY_INVALID',
    );
    expectProblem(
      await api.inject({ url: '/api/v1/auth/me', headers: { 'x-api-key': "' OR 1=1 --" } }),
      401,
      'API_KEY_INVALID',
    );
  });

  it('never returns a hash', () => {
    expect(seen.join('\n')).not.toMatch(/[0-9a-f]{64}/);
  });
});
