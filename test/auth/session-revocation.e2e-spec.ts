import { DataSource } from 'typeorm';
import { TEST_REDIS_URL, uniquePrefix } from '@app/testing';
import { createTestApi, TestApi } from '../support/test-app';
import {
  bearer,
  decodeJwt,
  expectProblem,
  JWT_SECRET,
  login,
  PASSWORD,
  register,
  rotatedLongAgo,
  Session,
  signJwt,
  uniqueEmail,
} from './auth-helpers';

const ME = '/api/v1/auth/me';

const meStatus = async (api: TestApi, accessToken: string) =>
  (await api.inject({ method: 'GET', url: ME, headers: bearer(accessToken) })).statusCode;

const post = (api: TestApi, url: string, payload: object, headers: Record<string, string> = {}) =>
  api.inject({ method: 'POST', url: `/api/v1/auth/${url}`, payload, headers });

/**
 * Asks until the token is refused or the deadline passes: a revocation reaches
 * another instance by a message or a cache expiry, not within the same request.
 */
async function refusedWithin(api: TestApi, accessToken: string, deadlineMs: number): Promise<void> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const res = await api.inject({ method: 'GET', url: ME, headers: bearer(accessToken) });
    if (res.statusCode !== 200 || Date.now() > end) {
      expectProblem(res, 401, 'SESSION_REVOKED');
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('access tokens of ended sessions', () => {
  describe('one instance without Redis (embedded configuration)', () => {
    let api: TestApi;

    beforeAll(async () => {
      // A cache far longer than the test: the revocation must apply at once, not by expiry.
      api = await createTestApi({ env: { JWT_SECRET, REDIS_URL: undefined, AUTH_SESSION_CACHE_SECONDS: '300' } });
    });
    afterAll(async () => {
      await api.close();
    });

    it('refuses the access token after logout, at once', async () => {
      const session = await register(api);
      expect(await meStatus(api, session.accessToken)).toBe(200);
      expect((await post(api, 'logout', {}, bearer(session.accessToken))).statusCode).toBe(204);
      expectProblem(await api.inject({ url: ME, headers: bearer(session.accessToken) }), 401, 'SESSION_REVOKED');
      // Another session of the same user is untouched.
      const other = await login(api, session.user.email);
      expect(await meStatus(api, other.accessToken)).toBe(200);
    });

    it('refuses every access token of a session whose refresh token was replayed', async () => {
      const first = await register(api);
      const second: Session = (await post(api, 'refresh', { refreshToken: first.refreshToken })).json();
      expect(await meStatus(api, first.accessToken)).toBe(200);
      expect(await meStatus(api, second.accessToken)).toBe(200);
      await rotatedLongAgo(api, first.refreshToken);
      expectProblem(await post(api, 'refresh', { refreshToken: first.refreshToken }), 401, 'REFRESH_TOKEN_REUSED');
      expectProblem(await api.inject({ url: ME, headers: bearer(first.accessToken) }), 401, 'SESSION_REVOKED');
      expectProblem(await api.inject({ url: ME, headers: bearer(second.accessToken) }), 401, 'SESSION_REVOKED');
    });

    it('refuses the other sessions after a password change and keeps the current one', async () => {
      const current = await register(api);
      const other = await login(api, current.user.email);
      expect(await meStatus(api, other.accessToken)).toBe(200);
      const changed = await post(
        api,
        'password',
        { currentPassword: PASSWORD, newPassword: 'emerald-canyon-whistle-77' },
        bearer(current.accessToken),
      );
      expect(changed.statusCode).toBe(204);
      expectProblem(await api.inject({ url: ME, headers: bearer(other.accessToken) }), 401, 'SESSION_REVOKED');
      expect(await meStatus(api, current.accessToken)).toBe(200);
    });

    it('refuses a token naming a session that never existed', async () => {
      const session = await register(api);
      const claims = decodeJwt(session.accessToken);
      const forgedSession = signJwt({ ...claims, sid: '00000000-0000-4000-8000-000000000000' });
      expectProblem(await api.inject({ url: ME, headers: bearer(forgedSession) }), 401, 'SESSION_REVOKED');
    });
  });

  describe('two instances without Redis, sharing PostgreSQL', () => {
    let first: TestApi;
    let second: TestApi;

    beforeAll(async () => {
      const env = { JWT_SECRET, REDIS_URL: undefined, AUTH_SESSION_CACHE_SECONDS: '1' };
      first = await createTestApi({ env });
      second = await createTestApi({ env });
    });
    afterAll(async () => {
      await first.close();
      await second.close();
    });

    it('stops a logged-out session on the other instance once its cached answer expires', async () => {
      const session = await register(first);
      // The second instance has seen the session live and remembers it.
      expect(await meStatus(second, session.accessToken)).toBe(200);
      expect((await post(first, 'logout', {}, bearer(session.accessToken))).statusCode).toBe(204);
      await refusedWithin(second, session.accessToken, 10_000);
    });

    it('refuses a revoked session at once on an instance started after the revocation', async () => {
      const session = await register(first);
      expect((await post(first, 'logout', {}, bearer(session.accessToken))).statusCode).toBe(204);
      const fresh = await createTestApi({ env: { JWT_SECRET, REDIS_URL: undefined } });
      try {
        expectProblem(await fresh.inject({ url: ME, headers: bearer(session.accessToken) }), 401, 'SESSION_REVOKED');
      } finally {
        await fresh.close();
      }
    });
  });

  describe('two instances on one Redis', () => {
    let first: TestApi;
    let second: TestApi;

    beforeAll(async () => {
      // A cache far longer than the test: only the published revocation can stop the token on the other instance.
      const env = {
        JWT_SECRET,
        REDIS_URL: TEST_REDIS_URL,
        QUEUE_PREFIX: uniquePrefix('sessions'),
        AUTH_SESSION_CACHE_SECONDS: '300',
      };
      first = await createTestApi({ env });
      second = await createTestApi({ env });
    });
    afterAll(async () => {
      await first.close();
      await second.close();
    });

    it('stops a logged-out session on the other instance within seconds', async () => {
      const session = await register(first);
      expect(await meStatus(second, session.accessToken)).toBe(200);
      expect((await post(first, 'logout', {}, bearer(session.accessToken))).statusCode).toBe(204);
      expectProblem(await first.inject({ url: ME, headers: bearer(session.accessToken) }), 401, 'SESSION_REVOKED');
      await refusedWithin(second, session.accessToken, 5_000);
    });

    it('stops the sessions a password change ended on the other instance', async () => {
      const current = await register(first);
      const other = await login(second, current.user.email);
      expect(await meStatus(second, other.accessToken)).toBe(200);
      const changed = await post(
        first,
        'password',
        { currentPassword: PASSWORD, newPassword: 'emerald-canyon-whistle-77' },
        bearer(current.accessToken),
      );
      expect(changed.statusCode).toBe(204);
      await refusedWithin(second, other.accessToken, 5_000);
      expect(await meStatus(second, current.accessToken)).toBe(200);
    });

    it('stops both tokens of a replayed session on the other instance', async () => {
      const start = await register(first);
      const rotated: Session = (await post(second, 'refresh', { refreshToken: start.refreshToken })).json();
      expect(await meStatus(second, rotated.accessToken)).toBe(200);
      await rotatedLongAgo(first, start.refreshToken);
      expectProblem(await post(first, 'refresh', { refreshToken: start.refreshToken }), 401, 'REFRESH_TOKEN_REUSED');
      await refusedWithin(second, rotated.accessToken, 5_000);
    });

    it('answers a refresh race across instances with one successor, then treats a late replay as reuse', async () => {
      const { refreshToken, user } = await register(first);
      const [a, b] = await Promise.all([
        post(first, 'refresh', { refreshToken }),
        post(second, 'refresh', { refreshToken }),
      ]);
      expect([a.statusCode, b.statusCode]).toEqual([200, 200]);
      expect(a.json().refreshToken).toBe(b.json().refreshToken);
      expect(decodeJwt(a.json().accessToken).sid).toBe(decodeJwt(b.json().accessToken).sid);
      expect(await meStatus(second, a.json().accessToken)).toBe(200);
      expect(await meStatus(first, b.json().accessToken)).toBe(200);
      const [{ count }] = await first.app
        .get(DataSource)
        .query(`SELECT count(*)::int AS count FROM refresh_tokens WHERE user_id = $1 AND revoked_at IS NULL`, [
          user.id,
        ]);
      expect(count).toBe(1);

      await rotatedLongAgo(first, refreshToken);
      expectProblem(await post(second, 'refresh', { refreshToken }), 401, 'REFRESH_TOKEN_REUSED');
      await refusedWithin(first, a.json().accessToken, 5_000);
    });
  });

  describe('refresh races with the grace window off', () => {
    let api: TestApi;

    beforeAll(async () => {
      api = await createTestApi({ env: { JWT_SECRET, REDIS_URL: undefined, AUTH_REFRESH_GRACE_SECONDS: '0' } });
    });
    afterAll(async () => {
      await api.close();
    });

    it('treats any second use of a refresh token as reuse', async () => {
      const { refreshToken } = await register(api, uniqueEmail('nograce'));
      expect((await post(api, 'refresh', { refreshToken })).statusCode).toBe(200);
      expectProblem(await post(api, 'refresh', { refreshToken }), 401, 'REFRESH_TOKEN_REUSED');
    });
  });
});
