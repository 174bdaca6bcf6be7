import type { LightMyRequestResponse } from 'fastify';
import { RedisConnection } from '@app/platform';
import { TEST_REDIS_URL, uniquePrefix } from '@app/testing';
import { ApiKeyRepository } from '../../libs/auth/src/api-key.repository';
import { bearer, expectProblem, JWT_SECRET, PASSWORD, register, signJwt, uniqueEmail } from '../auth/auth-helpers';
import { createTestApi, TestApi } from '../support/test-app';

const LOGIN = '/api/v1/auth/login';
const ME = '/api/v1/auth/me';
/** Well-formed (the shape issued keys have) but never issued. */
const unknownKey = (n: number) => `qk_abcdefgh_${String(n).padStart(43, '0')}`;

function expectRateLimited(res: LightMyRequestResponse): void {
  const body = expectProblem(res, 429, 'RATE_LIMITED');
  expect(body.retryAfterSeconds).toBeGreaterThanOrEqual(1);
  expect(res.headers['retry-after']).toBe(String(body.retryAfterSeconds));
}

const statuses = (responses: LightMyRequestResponse[]) => responses.map((r) => r.statusCode);

describe('authentication abuse', () => {
  describe('in memory', () => {
    let api: TestApi;

    beforeAll(async () => {
      api = await createTestApi({
        env: {
          JWT_SECRET,
          REDIS_URL: undefined,
          THROTTLE_LOGIN_LIMIT: '5',
          THROTTLE_LOGIN_IP_LIMIT: '8',
          THROTTLE_AUTH_FAILURE_LIMIT: '5',
        },
      });
    });
    afterAll(async () => {
      await api.close();
    });

    const loginFrom = (remoteAddress: string, email: string, password = 'wrong-password-xyz-1') =>
      api.inject({ method: 'POST', url: LOGIN, payload: { email, password }, remoteAddress });

    it('limits logins per address whatever the email (password spraying)', async () => {
      const email = uniqueEmail('sprayed');
      await register(api, email);
      const sprayed: LightMyRequestResponse[] = [];
      for (let i = 0; i < 8; i++) sprayed.push(await loginFrom('192.0.2.50', uniqueEmail(`spray-${i}`)));
      expect(statuses(sprayed)).toEqual(Array(8).fill(401));
      expectRateLimited(await loginFrom('192.0.2.50', uniqueEmail('spray-9')));
      // The address is out of budget even for a real account and its password.
      expectRateLimited(await loginFrom('192.0.2.50', email, PASSWORD));
      // Another address is not.
      expect((await loginFrom('192.0.2.51', email, PASSWORD)).statusCode).toBe(200);
    });

    it('blocks an address that keeps presenting unknown API keys, and spares the others', async () => {
      const owner = await register(api);
      const from = (remoteAddress: string, headers: Record<string, string>) =>
        api.inject({ method: 'GET', url: ME, headers, remoteAddress });
      const failures: LightMyRequestResponse[] = [];
      for (let i = 0; i < 5; i++) failures.push(await from('192.0.2.60', { 'x-api-key': unknownKey(i) }));
      expect(statuses(failures)).toEqual(Array(5).fill(401));
      expectRateLimited(await from('192.0.2.60', { 'x-api-key': unknownKey(5) }));
      // Blocked for the window, whatever it presents next.
      expectRateLimited(await from('192.0.2.60', bearer(owner.accessToken)));
      expect((await from('192.0.2.61', bearer(owner.accessToken))).statusCode).toBe(200);
      expectProblem(await from('192.0.2.61', { 'x-api-key': unknownKey(6) }), 401, 'API_KEY_INVALID');
    });

    it('counts forged access tokens too, but not expired ones or missing credentials', async () => {
      const owner = await register(api);
      const from = (headers: Record<string, string>) =>
        api.inject({ method: 'GET', url: ME, headers, remoteAddress: '192.0.2.70' });
      const now = Math.floor(Date.now() / 1000);
      const expired = signJwt({
        sub: owner.user.id,
        sid: owner.user.id,
        jti: 'x',
        iss: 'quant-backend',
        aud: 'quant-api',
        iat: now - 1000,
        exp: now - 60,
      });
      for (let i = 0; i < 10; i++) {
        expectProblem(await from(bearer(expired)), 401, 'ACCESS_TOKEN_EXPIRED');
        expectProblem(await from({}), 401, 'AUTHENTICATION_REQUIRED');
      }
      const forged: LightMyRequestResponse[] = [];
      for (let i = 0; i < 5; i++) forged.push(await from(bearer(`forged.${i}.token`)));
      expect(statuses(forged)).toEqual(Array(5).fill(401));
      expectRateLimited(await from(bearer('forged.5.token')));
    });

    it('looks a repeated unknown key up once and a malformed one never', async () => {
      const lookups = jest.spyOn(api.app.get(ApiKeyRepository), 'findOwnerByHash');
      try {
        const key = unknownKey(100);
        for (let i = 0; i < 4; i++) {
          const res = await api.inject({ url: ME, headers: { 'x-api-key': key }, remoteAddress: `192.0.2.8${i}` });
          expectProblem(res, 401, 'API_KEY_INVALID');
        }
        expect(lookups).toHaveBeenCalledTimes(1);
        const malformed = await api.inject({
          url: ME,
          headers: { 'x-api-key': 'qk_nope' },
          remoteAddress: '192.0.2.85',
        });
        expectProblem(malformed, 401, 'API_KEY_INVALID');
        expect(lookups).toHaveBeenCalledTimes(1);
      } finally {
        lookups.mockRestore();
      }
    });
  });

  describe('two API instances on one Redis', () => {
    let first: TestApi;
    let second: TestApi;
    const prefix = uniquePrefix('abuse');

    beforeAll(async () => {
      const env = {
        JWT_SECRET,
        REDIS_URL: TEST_REDIS_URL,
        QUEUE_PREFIX: prefix,
        THROTTLE_LOGIN_LIMIT: '5',
        THROTTLE_LOGIN_IP_LIMIT: '6',
        THROTTLE_AUTH_FAILURE_LIMIT: '6',
      };
      first = await createTestApi({ env });
      second = await createTestApi({ env });
    });
    afterAll(async () => {
      await first.close();
      await second.close();
    });

    it('share the per-address login budget', async () => {
      const answers: LightMyRequestResponse[] = [];
      for (let i = 0; i < 6; i++) {
        answers.push(
          await (i % 2 === 0 ? first : second).inject({
            method: 'POST',
            url: LOGIN,
            payload: { email: uniqueEmail(`shared-spray-${i}`), password: 'wrong-password-xyz-1' },
            remoteAddress: '198.51.100.20',
          }),
        );
      }
      expect(statuses(answers)).toEqual(Array(6).fill(401));
      expectRateLimited(
        await second.inject({
          method: 'POST',
          url: LOGIN,
          payload: { email: uniqueEmail('shared-spray-7'), password: 'wrong-password-xyz-1' },
          remoteAddress: '198.51.100.20',
        }),
      );
    });

    it('share the failed-authentication budget, and keep addresses out of the keys', async () => {
      const answers: LightMyRequestResponse[] = [];
      for (let i = 0; i < 6; i++) {
        answers.push(
          await (i % 2 === 0 ? first : second).inject({
            url: ME,
            headers: { 'x-api-key': unknownKey(200 + i) },
            remoteAddress: '198.51.100.30',
          }),
        );
      }
      expect(statuses(answers)).toEqual(Array(6).fill(401));
      expectRateLimited(
        await first.inject({ url: ME, headers: { 'x-api-key': unknownKey(210) }, remoteAddress: '198.51.100.30' }),
      );
      expectRateLimited(
        await second.inject({ url: ME, headers: { 'x-api-key': unknownKey(211) }, remoteAddress: '198.51.100.30' }),
      );
      const keys = await first.app.get(RedisConnection).client!.keys(`${prefix}:throttle:*`);
      expect(keys.some((k) => k.includes('authFailure:'))).toBe(true);
      expect(keys.join(' ')).not.toMatch(/198\.51|ip:/);
    });
  });
});
