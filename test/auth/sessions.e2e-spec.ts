import { DataSource } from 'typeorm';
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
  signJwt,
  uniqueEmail,
} from './auth-helpers';

describe('auth sessions', () => {
  let api: TestApi;
  const seen: string[] = [];
  const post = async (url: string, payload: unknown, headers: Record<string, string> = {}) => {
    const res = await api.inject({ method: 'POST', url: `/api/v1/auth/${url}`, payload: payload as object, headers });
    seen.push(res.body);
    return res;
  };
  const me = async (headers: Record<string, string>) => {
    const res = await api.inject({ method: 'GET', url: '/api/v1/auth/me', headers });
    seen.push(res.body);
    return res;
  };

  beforeAll(async () => {
    api = await createTestApi({ env: { JWT_SECRET } });
  });
  afterAll(async () => {
    await api.close();
  });

  describe('register', () => {
    it('creates a basic user and returns a working session', async () => {
      const email = uniqueEmail();
      const res = await post('register', { email, password: PASSWORD });
      expect(res.statusCode).toBe(201);
      const body = res.json();
      expect(body).toMatchObject({
        tokenType: 'Bearer',
        expiresIn: 900,
        user: { email, role: 'user', tier: 'basic', disabled: false },
      });
      expect(body.refreshToken).toEqual(expect.any(String));
      const claims = decodeJwt(body.accessToken);
      expect(claims).toMatchObject({
        sub: body.user.id,
        role: 'user',
        tier: 'basic',
        iss: 'quant-backend',
        aud: 'quant-api',
        jti: expect.any(String),
      });
      expect((claims.exp as number) - (claims.iat as number)).toBe(900);
      const who = await me(bearer(body.accessToken));
      expect(who.statusCode).toBe(200);
      expect(who.json()).toMatchObject({ id: body.user.id, email, tier: 'basic' });
      expect(who.json()).not.toHaveProperty('passwordHash');
    });

    it('treats emails case-insensitively', async () => {
      const email = uniqueEmail('Case');
      await register(api, email);
      expectProblem(await post('register', { email: email.toUpperCase(), password: PASSWORD }), 409, 'EMAIL_TAKEN');
      const session = await login(api, email.toUpperCase());
      expect(session.user.email).toBe(email.toLowerCase());
    });

    it.each([
      ['short1234', 'min_length'],
      ['password1234', 'common_password'],
      ['Qwerty123456', 'common_password'],
    ])('rejects the password %p (rule %s)', async (password, rule) => {
      const body = expectProblem(await post('register', { email: uniqueEmail(), password }), 400, 'WEAK_PASSWORD');
      expect(body.rule).toBe(rule);
      expect(body.errors).toEqual([{ field: 'password', message: expect.any(String) }]);
      expect(JSON.stringify(body)).not.toContain(password);
    });

    it('rejects a password equal to the email', async () => {
      const email = uniqueEmail('longlocalpart');
      const body = expectProblem(
        await post('register', { email, password: email.toUpperCase() }),
        400,
        'WEAK_PASSWORD',
      );
      expect(body.rule).toBe('equals_email');
    });

    it('rejects unknown fields, a bad email and a non-string password with 400', async () => {
      const unknown = expectProblem(
        await post('register', { email: uniqueEmail(), password: PASSWORD, role: 'admin' }),
        400,
        'VALIDATION_FAILED',
      );
      expect(unknown.errors).toEqual([{ field: 'role', message: 'unknown field' }]);
      expectProblem(await post('register', { email: 'not-an-email', password: PASSWORD }), 400, 'VALIDATION_FAILED');
      expectProblem(
        await post('register', { email: uniqueEmail(), password: 12345678901234 }),
        400,
        'VALIDATION_FAILED',
      );
      expectProblem(
        await post('register', { email: uniqueEmail(), password: 'x'.repeat(5000) }),
        400,
        'VALIDATION_FAILED',
      );
    });

    it('stores SQL metacharacters literally and never breaks', async () => {
      const password = `pw'); DROP TABLE users; --"\\`;
      const email = `o'brien+${Date.now()}@desk.example.com`;
      const session = await register(api, email, password);
      expect(session.user.email).toBe(email);
      expect((await login(api, email, password)).user.id).toBe(session.user.id);
      expectProblem(await post('login', { email: `' OR '1'='1`, password: `' OR '1'='1` }), 401, 'INVALID_CREDENTIALS');
      const [{ count }] = await api.app.get(DataSource).query(`SELECT count(*)::int AS count FROM users`);
      expect(count).toBeGreaterThan(0);
    });
  });

  describe('login', () => {
    it('answers INVALID_CREDENTIALS alike for an unknown email and a wrong password', async () => {
      const { user } = await register(api);
      const wrong = expectProblem(
        await post('login', { email: user.email, password: 'not-the-password-1' }),
        401,
        'INVALID_CREDENTIALS',
      );
      const unknown = expectProblem(
        await post('login', { email: uniqueEmail('ghost'), password: PASSWORD }),
        401,
        'INVALID_CREDENTIALS',
      );
      expect(unknown.detail).toBe(wrong.detail);
    });

    it('takes comparable time for an unknown email and a wrong password', async () => {
      const { user } = await register(api);
      const time = async (email: string) => {
        const started = process.hrtime.bigint();
        await post('login', { email, password: 'not-the-password-1' });
        return Number(process.hrtime.bigint() - started) / 1e6;
      };
      await time(user.email);
      const known: number[] = [];
      const unknown: number[] = [];
      for (let i = 0; i < 4; i++) {
        known.push(await time(user.email));
        unknown.push(await time(uniqueEmail('ghost')));
      }
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
      // Both paths run one argon2 verification; without the dummy hash the unknown email would answer in ~1 ms.
      expect(median(unknown)).toBeGreaterThan(median(known) * 0.4);
    });
  });

  describe('access tokens', () => {
    let session: Awaited<ReturnType<typeof register>>;
    let claims: Record<string, unknown>;
    beforeAll(async () => {
      session = await register(api);
      claims = decodeJwt(session.accessToken);
    });

    it('requires a token on protected routes', async () => {
      expectProblem(await me({}), 401, 'AUTHENTICATION_REQUIRED');
      expectProblem(await me({ authorization: 'Basic abc' }), 401, 'AUTHENTICATION_REQUIRED');
    });

    it('rejects a token signed with another key', async () => {
      const forged = signJwt(claims, 'another-secret-0123456789abcdef0123456789');
      expectProblem(await me(bearer(forged)), 401, 'ACCESS_TOKEN_INVALID');
    });

    it('rejects alg none', async () => {
      const head = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
      const body = Buffer.from(JSON.stringify({ ...claims, role: 'admin' })).toString('base64url');
      expectProblem(await me(bearer(`${head}.${body}.`)), 401, 'ACCESS_TOKEN_INVALID');
      expectProblem(await me(bearer(`${head}.${body}`)), 401, 'ACCESS_TOKEN_INVALID');
    });

    it('rejects an expired token', async () => {
      const now = Math.floor(Date.now() / 1000);
      const expired = signJwt({ ...claims, iat: now - 1000, exp: now - 60 });
      expectProblem(await me(bearer(expired)), 401, 'ACCESS_TOKEN_EXPIRED');
    });

    it('rejects a token without exp, and a wrong issuer or audience', async () => {
      const { exp: _exp, ...noExp } = claims;
      expectProblem(await me(bearer(signJwt(noExp))), 401, 'ACCESS_TOKEN_INVALID');
      expectProblem(await me(bearer(signJwt({ ...claims, iss: 'someone-else' }))), 401, 'ACCESS_TOKEN_INVALID');
      expectProblem(await me(bearer(signJwt({ ...claims, aud: 'other-api' }))), 401, 'ACCESS_TOKEN_INVALID');
      expectProblem(
        await me(bearer(signJwt({ ...claims, alg: 'HS256' }, JWT_SECRET, { alg: 'HS512' }))),
        401,
        'ACCESS_TOKEN_INVALID',
      );
    });

    it('rejects a token whose tier claim was tampered with', async () => {
      const [head, , sig] = session.accessToken.split('.');
      const body = Buffer.from(JSON.stringify({ ...claims, tier: 'elite' })).toString('base64url');
      expectProblem(await me(bearer(`${head}.${body}.${sig}`)), 401, 'ACCESS_TOKEN_INVALID');
    });

    it('rejects garbage', async () => {
      expectProblem(await me(bearer('a.b.c')), 401, 'ACCESS_TOKEN_INVALID');
      expectProblem(await me(bearer("'; DROP TABLE users; --")), 401, 'ACCESS_TOKEN_INVALID');
    });
  });

  describe('refresh', () => {
    it('rotates the refresh token on every use', async () => {
      const first = await register(api);
      const res = await post('refresh', { refreshToken: first.refreshToken });
      expect(res.statusCode).toBe(200);
      const second = res.json();
      expect(second.refreshToken).not.toBe(first.refreshToken);
      expect(second.accessToken).not.toBe(first.accessToken);
      expect(decodeJwt(second.accessToken).sid).toBe(decodeJwt(first.accessToken).sid);
      expect((await me(bearer(second.accessToken))).statusCode).toBe(200);
      const third = await post('refresh', { refreshToken: second.refreshToken });
      expect(third.statusCode).toBe(200);
    });

    it('revokes the whole family when a rotated token is replayed after the grace window', async () => {
      const first = await register(api);
      const second = (await post('refresh', { refreshToken: first.refreshToken })).json();
      await rotatedLongAgo(api, first.refreshToken);
      expectProblem(await post('refresh', { refreshToken: first.refreshToken }), 401, 'REFRESH_TOKEN_REUSED');
      // The legitimate successor is revoked with its family.
      expectProblem(await post('refresh', { refreshToken: second.refreshToken }), 401, 'REFRESH_TOKEN_REUSED');
      // Other sessions of the same user are untouched.
      const other = await login(api, first.user.email);
      expect((await post('refresh', { refreshToken: other.refreshToken })).statusCode).toBe(200);
    });

    it('answers concurrent refreshes of one token with one successor, without ending the session', async () => {
      const { refreshToken } = await register(api);
      const results = await Promise.all(Array.from({ length: 8 }, () => post('refresh', { refreshToken })));
      expect(results.map((r) => r.statusCode)).toEqual(Array(8).fill(200));
      const successors = new Set(results.map((r) => r.json().refreshToken));
      expect(successors.size).toBe(1);
      expect((await post('refresh', { refreshToken: [...successors][0] })).statusCode).toBe(200);
    });

    it('rejects unknown tokens and bad bodies', async () => {
      expectProblem(await post('refresh', { refreshToken: 'nope' }), 401, 'REFRESH_TOKEN_INVALID');
      expectProblem(await post('refresh', { refreshToken: "' OR 1=1 --" }), 401, 'REFRESH_TOKEN_INVALID');
      expectProblem(await post('refresh', {}), 400, 'VALIDATION_FAILED');
      expectProblem(await post('refresh', { refreshToken: 'x', extra: 1 }), 400, 'VALIDATION_FAILED');
    });
  });

  describe('logout', () => {
    it('revokes the session family', async () => {
      const session = await register(api);
      const res = await post('logout', {}, bearer(session.accessToken));
      expect(res.statusCode).toBe(204);
      expectProblem(await post('refresh', { refreshToken: session.refreshToken }), 401, 'REFRESH_TOKEN_INVALID');
    });

    it('needs authentication', async () => {
      expectProblem(await post('logout', {}), 401, 'AUTHENTICATION_REQUIRED');
    });
  });

  describe('password change', () => {
    it('changes the password and revokes the other sessions, keeping this one', async () => {
      const current = await register(api);
      const other = await login(api, current.user.email);
      const newPassword = 'emerald-canyon-whistle-77';
      const res = await post('password', { currentPassword: PASSWORD, newPassword }, bearer(current.accessToken));
      expect(res.statusCode).toBe(204);
      expectProblem(await post('refresh', { refreshToken: other.refreshToken }), 401, 'REFRESH_TOKEN_INVALID');
      expect((await post('refresh', { refreshToken: current.refreshToken })).statusCode).toBe(200);
      expectProblem(await post('login', { email: current.user.email, password: PASSWORD }), 401, 'INVALID_CREDENTIALS');
      expect((await login(api, current.user.email, newPassword)).user.id).toBe(current.user.id);
    });

    it('refuses a wrong current password and a weak new one', async () => {
      const s = await register(api);
      expectProblem(
        await post(
          'password',
          { currentPassword: 'wrong-password-123', newPassword: 'emerald-canyon-whistle-77' },
          bearer(s.accessToken),
        ),
        403,
        'CURRENT_PASSWORD_INCORRECT',
      );
      const weak = expectProblem(
        await post('password', { currentPassword: PASSWORD, newPassword: 'short' }, bearer(s.accessToken)),
        400,
        'WEAK_PASSWORD',
      );
      expect(weak.errors[0].field).toBe('newPassword');
    });
  });

  it('never returns a password or a password hash', () => {
    expect(seen.length).toBeGreaterThan(50);
    const all = seen.join('\n');
    expect(all).not.toContain(PASSWORD);
    expect(all).not.toContain('emerald-canyon-whistle-77');
    expect(all).not.toMatch(/\$argon2id\$/);
  });
});
