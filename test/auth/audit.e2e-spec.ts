import { createTestApi, TestApi } from '../support/test-app';
import {
  bearer,
  expectProblem,
  JWT_SECRET,
  PASSWORD,
  register,
  registerAdmin,
  rotatedLongAgo,
  Session,
} from './auth-helpers';

interface AuditEvent {
  action: string;
  actorId: string | null;
  subjectId: string | null;
  ip: string | null;
  requestId: string | null;
  details: Record<string, unknown>;
}

describe('audit log', () => {
  let api: TestApi;
  let admin: Session;

  beforeAll(async () => {
    api = await createTestApi({ env: { JWT_SECRET } });
    admin = await registerAdmin(api);
  });
  afterAll(async () => {
    await api.close();
  });

  const eventsOf = async (userId: string, action?: string): Promise<AuditEvent[]> => {
    const res = await api.inject({
      url: `/api/v1/admin/audit?limit=100&userId=${userId}${action ? `&action=${action}` : ''}`,
      headers: bearer(admin.accessToken),
    });
    expect(res.statusCode).toBe(200);
    return res.json().items;
  };
  const post = (url: string, payload: object, headers: Record<string, string> = {}) =>
    api.inject({ method: 'POST', url: `/api/v1/auth/${url}`, payload, headers });

  it('records logins, refresh reuse, password changes, API keys and admin changes with ip and request id', async () => {
    const user = await register(api);
    const failed = await post(
      'login',
      { email: user.user.email, password: 'wrong-password-123' },
      { 'x-request-id': 'audit-wrong-pw' },
    );
    expect(failed.statusCode).toBe(401);
    const ok = await post('login', { email: user.user.email, password: PASSWORD });
    const session: Session = ok.json();
    await post('refresh', { refreshToken: session.refreshToken });
    await rotatedLongAgo(api, session.refreshToken);
    expect((await post('refresh', { refreshToken: session.refreshToken })).statusCode).toBe(401);
    const key = (await post('api-keys', { name: 'audit' }, bearer(user.accessToken))).json();
    await api.inject({ method: 'DELETE', url: `/api/v1/auth/api-keys/${key.id}`, headers: bearer(user.accessToken) });
    const newPassword = 'emerald-canyon-whistle-77';
    await post('password', { currentPassword: PASSWORD, newPassword }, bearer(user.accessToken));
    await api.inject({
      method: 'PATCH',
      url: `/api/v1/admin/users/${user.user.id}`,
      headers: bearer(admin.accessToken),
      payload: { tier: 'pro' },
    });

    const events = await eventsOf(user.user.id);
    expect(events.map((e) => e.action).reverse()).toEqual([
      'user.registered',
      'login.failed',
      'login.succeeded',
      'refresh.reused',
      'api_key.created',
      'api_key.revoked',
      'password.changed',
      'user.updated',
    ]);
    const byAction = Object.fromEntries(events.map((e) => [e.action, e]));
    expect(byAction['login.failed']).toMatchObject({
      actorId: user.user.id,
      ip: '127.0.0.1',
      requestId: 'audit-wrong-pw',
      details: { reason: 'wrong_password' },
    });
    expect(byAction['api_key.created'].details).toMatchObject({ keyId: key.id, prefix: key.prefix, name: 'audit' });
    expect(byAction['user.updated']).toMatchObject({
      actorId: admin.user.id,
      subjectId: user.user.id,
      details: { changes: { tier: 'pro' } },
    });
    expect(events.every((e) => typeof e.requestId === 'string' && e.ip === '127.0.0.1')).toBe(true);
    const text = JSON.stringify(events);
    for (const secret of [
      PASSWORD,
      newPassword,
      'wrong-password-123',
      key.key,
      session.refreshToken,
      session.accessToken,
    ]) {
      expect(text).not.toContain(secret);
    }
  });

  it('records a failed login for an unknown email without an actor', async () => {
    const email = `ghost-${Date.now()}@desk.example.com`;
    await post('login', { email, password: 'whatever-password-1' });
    const res = await api.inject({
      url: '/api/v1/admin/audit?action=login.failed&limit=100',
      headers: bearer(admin.accessToken),
    });
    const event = res.json().items.find((e: AuditEvent) => e.details.email === email);
    expect(event).toMatchObject({ actorId: null, details: { reason: 'unknown_email' } });
  });

  it('pages with a cursor', async () => {
    const first = await api.inject({ url: '/api/v1/admin/audit?limit=2', headers: bearer(admin.accessToken) });
    const page = first.json();
    expect(page.items).toHaveLength(2);
    const second = await api.inject({
      url: `/api/v1/admin/audit?limit=2&cursor=${page.nextCursor}`,
      headers: bearer(admin.accessToken),
    });
    const ids = page.items.map((e: { id: string }) => e.id);
    expect(
      second
        .json()
        .items.map((e: { id: string }) => e.id)
        .some((id: string) => ids.includes(id)),
    ).toBe(false);
  });

  it('is for admins only and validates its query', async () => {
    const user = await register(api);
    expectProblem(
      await api.inject({ url: '/api/v1/admin/audit', headers: bearer(user.accessToken) }),
      403,
      'INSUFFICIENT_ROLE',
    );
    const h = bearer(admin.accessToken);
    expectProblem(
      await api.inject({ url: '/api/v1/admin/audit?action=drop.tables', headers: h }),
      400,
      'VALIDATION_FAILED',
    );
    expectProblem(
      await api.inject({ url: "/api/v1/admin/audit?userId=1'%20OR%201=1", headers: h }),
      400,
      'VALIDATION_FAILED',
    );
    expectProblem(await api.inject({ url: '/api/v1/admin/audit?cursor=abc', headers: h }), 400, 'INVALID_CURSOR');
  });
});
