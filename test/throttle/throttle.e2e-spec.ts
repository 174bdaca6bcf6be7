import type { LightMyRequestResponse } from 'fastify';
import { register as promRegister } from 'prom-client';
import { DataSource } from 'typeorm';
import { RedisConnection } from '@app/platform';
import { TEST_REDIS_URL, uniquePrefix } from '@app/testing';
import { bearer, expectProblem, JWT_SECRET, login, PASSWORD, register, uniqueEmail } from '../auth/auth-helpers';
import { createTestApi, TestApi } from '../support/test-app';

const LOGIN = '/api/v1/auth/login';
const REGISTER = '/api/v1/auth/register';
const ME = '/api/v1/auth/me';

async function throttledCount(route: string): Promise<number> {
  const metric = promRegister.getSingleMetric('http_throttled_requests_total');
  const values = metric ? (await metric.get()).values : [];
  return values.find((v) => v.labels.route === route)?.value ?? 0;
}

function statuses(responses: LightMyRequestResponse[]): number[] {
  return responses.map((r) => r.statusCode);
}

function expectRateLimited(res: LightMyRequestResponse): void {
  const body = expectProblem(res, 429, 'RATE_LIMITED');
  expect(body.retryAfterSeconds).toBeGreaterThanOrEqual(1);
  expect(body.retryAfterSeconds).toBeLessThanOrEqual(60);
  expect(res.headers['retry-after']).toBe(String(body.retryAfterSeconds));
}

describe('throttling', () => {
  describe('in memory, with low limits', () => {
    let api: TestApi;

    beforeAll(async () => {
      api = await createTestApi({
        env: {
          JWT_SECRET,
          REDIS_URL: undefined,
          THROTTLE_LOGIN_LIMIT: '5',
          THROTTLE_REGISTER_LIMIT: '3',
          THROTTLE_DEFAULT_LIMIT: '3',
          THROTTLE_ELITE_MULTIPLIER: '2',
        },
      });
    });
    afterAll(async () => {
      await api.close();
    });

    // Each test takes its own client address so that per-IP budgets never mix.
    const registerFrom = async (remoteAddress: string, email = uniqueEmail()) =>
      api.inject({ method: 'POST', url: REGISTER, payload: { email, password: PASSWORD }, remoteAddress });
    const loginFrom = async (remoteAddress: string, email: string, password: string) =>
      api.inject({ method: 'POST', url: LOGIN, payload: { email, password }, remoteAddress });

    it('answers the 6th login for one IP and email with 429 and Retry-After, and counts it', async () => {
      const email = uniqueEmail('brute');
      expect((await registerFrom('192.0.2.10', email)).statusCode).toBe(201);
      const before = await throttledCount(LOGIN);
      const attempts: LightMyRequestResponse[] = [];
      for (let i = 0; i < 5; i++) attempts.push(await loginFrom('192.0.2.11', email, `wrong-password-${i}-xyz`));
      expect(statuses(attempts)).toEqual([401, 401, 401, 401, 401]);

      expectRateLimited(await loginFrom('192.0.2.11', email, 'wrong-password-6-xyz'));
      // Blocked for the window: even the right password is refused.
      expectRateLimited(await loginFrom('192.0.2.11', email, PASSWORD));
      expect(await throttledCount(LOGIN)).toBe(before + 2);

      // Another email from the same address, and the same email from another address, still get through.
      expect((await loginFrom('192.0.2.11', uniqueEmail('other'), 'wrong-password-x-xyz')).statusCode).toBe(401);
      expect((await loginFrom('192.0.2.12', email, PASSWORD)).statusCode).toBe(200);
    });

    it('treats the email case-insensitively when counting logins', async () => {
      const email = uniqueEmail('case');
      const attempts: LightMyRequestResponse[] = [];
      for (let i = 0; i < 5; i++) {
        const variant = i % 2 === 0 ? email.toUpperCase() : email;
        attempts.push(await loginFrom('192.0.2.13', variant, 'wrong-password-xyz'));
      }
      expect(statuses(attempts)).toEqual([401, 401, 401, 401, 401]);
      expectRateLimited(await loginFrom('192.0.2.13', ` ${email} `, 'wrong-password-xyz'));
    });

    it('allows 3 registrations per IP, then 429, while another IP may still register', async () => {
      const first = [
        await registerFrom('192.0.2.20'),
        await registerFrom('192.0.2.20'),
        await registerFrom('192.0.2.20'),
      ];
      expect(statuses(first)).toEqual([201, 201, 201]);
      expectRateLimited(await registerFrom('192.0.2.20'));
      expect((await registerFrom('192.0.2.21')).statusCode).toBe(201);
    });

    it('limits an authenticated user to the default budget, keyed by user and not by IP', async () => {
      const a = await register(api, uniqueEmail('quota-a'));
      const b = await register(api, uniqueEmail('quota-b'));
      const asA = async (remoteAddress: string) =>
        api.inject({ method: 'GET', url: ME, headers: bearer(a.accessToken), remoteAddress });
      // Changing address does not buy a fresh budget.
      const answers = [await asA('192.0.2.30'), await asA('192.0.2.31'), await asA('192.0.2.32')];
      expect(statuses(answers)).toEqual([200, 200, 200]);
      expectRateLimited(await asA('192.0.2.33'));
      // Another user from the same address has a budget of its own.
      const other = await api.inject({
        method: 'GET',
        url: ME,
        headers: bearer(b.accessToken),
        remoteAddress: '192.0.2.30',
      });
      expect(other.statusCode).toBe(200);
    });

    it('multiplies the per-user budget for elite users', async () => {
      const email = uniqueEmail('elite');
      const { user } = await register(api, email);
      await api.app.get(DataSource).query(`UPDATE users SET tier = 'elite' WHERE id = $1`, [user.id]);
      const { accessToken } = await login(api, email);
      const answers: LightMyRequestResponse[] = [];
      for (let i = 0; i < 7; i++)
        answers.push(await api.inject({ method: 'GET', url: ME, headers: bearer(accessToken) }));
      expect(statuses(answers)).toEqual([200, 200, 200, 200, 200, 200, 429]);
      expectRateLimited(answers[6]);
    });

    it('never throttles the probes or /metrics', async () => {
      const answers: LightMyRequestResponse[] = [];
      for (let i = 0; i < 6; i++) {
        answers.push(await api.inject({ method: 'GET', url: '/health', remoteAddress: '192.0.2.40' }));
        answers.push(await api.inject({ method: 'GET', url: '/metrics', remoteAddress: '192.0.2.40' }));
      }
      expect(answers.every((r) => r.statusCode === 200)).toBe(true);
      // The login test above was refused twice; the scrape shows it by route template.
      expect(answers[1].body).toMatch(/^http_throttled_requests_total\{route="\/api\/v1\/auth\/login"\} [1-9]/m);
    });
  });

  describe('behind a proxy', () => {
    let api: TestApi;

    beforeAll(async () => {
      api = await createTestApi({
        env: { JWT_SECRET, REDIS_URL: undefined, TRUST_PROXY: '10.0.0.1', THROTTLE_REGISTER_LIMIT: '1' },
      });
    });
    afterAll(async () => {
      await api.close();
    });

    const registerVia = async (remoteAddress: string, forwardedFor: string) =>
      api.inject({
        method: 'POST',
        url: REGISTER,
        payload: { email: uniqueEmail('proxy'), password: PASSWORD },
        headers: { 'x-forwarded-for': forwardedFor },
        remoteAddress,
      });

    it('ignores X-Forwarded-For from a peer that is not a trusted proxy', async () => {
      expect((await registerVia('203.0.113.9', '198.51.100.1')).statusCode).toBe(201);
      // A forged header does not make a new client.
      expectRateLimited(await registerVia('203.0.113.9', '198.51.100.2'));
    });

    it('counts the forwarded client address when the peer is a trusted proxy', async () => {
      expect((await registerVia('10.0.0.1', '198.51.100.50')).statusCode).toBe(201);
      expect((await registerVia('10.0.0.1', '198.51.100.51')).statusCode).toBe(201);
      expectRateLimited(await registerVia('10.0.0.1', '198.51.100.50'));
    });
  });

  describe('two API instances on one Redis', () => {
    let first: TestApi;
    let second: TestApi;
    const prefix = uniquePrefix('throttle');

    beforeAll(async () => {
      const env = {
        JWT_SECRET,
        REDIS_URL: TEST_REDIS_URL,
        QUEUE_PREFIX: prefix,
        THROTTLE_DEFAULT_LIMIT: '5',
      };
      first = await createTestApi({ env });
      second = await createTestApi({ env });
    });
    afterAll(async () => {
      await first.close();
      await second.close();
    });

    it('share one budget: of 12 requests split across both, exactly the limit are accepted', async () => {
      const { accessToken } = await register(first, uniqueEmail('shared'));
      const answers = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          (i % 2 === 0 ? first : second).inject({ method: 'GET', url: ME, headers: bearer(accessToken) }),
        ),
      );
      const codes = statuses(answers);
      expect(codes.filter((c) => c === 200)).toHaveLength(5);
      expect(codes.filter((c) => c === 429)).toHaveLength(7);
      for (const res of answers.filter((r) => r.statusCode === 429)) expectRateLimited(res);
      const keys = await first.app.get(RedisConnection).client!.keys(`${prefix}:throttle:*`);
      expect(keys.length).toBeGreaterThan(0);
      // Neither emails nor addresses appear in keys.
      expect(keys.join(' ')).not.toMatch(/@|user:|ip:/);
    });

    it('keeps a user blocked on the other instance for the rest of the window', async () => {
      const { accessToken } = await register(first, uniqueEmail('blocked'));
      for (let i = 0; i < 5; i++) {
        expect((await first.inject({ method: 'GET', url: ME, headers: bearer(accessToken) })).statusCode).toBe(200);
      }
      expectRateLimited(await first.inject({ method: 'GET', url: ME, headers: bearer(accessToken) }));
      expectRateLimited(await second.inject({ method: 'GET', url: ME, headers: bearer(accessToken) }));
    });
  });
});
