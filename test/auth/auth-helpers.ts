import { createHash, createHmac, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { TestApi } from '../support/test-app';

export const JWT_SECRET = 'auth-e2e-secret-0123456789abcdef0123456789';
export const PASSWORD = 'violet-harbor-lantern-42';

export interface Session {
  accessToken: string;
  refreshToken: string;
  user: { id: string; email: string; role: string; tier: string };
}

export const uniqueEmail = (label = 'user') => `${label}-${randomUUID().slice(0, 8)}@desk.example.com`;

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

export async function register(api: TestApi, email = uniqueEmail(), password = PASSWORD): Promise<Session> {
  const res = await api.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { email, password } });
  if (res.statusCode !== 201) throw new Error(`register answered ${res.statusCode}: ${res.body}`);
  return res.json();
}

export async function login(api: TestApi, email: string, password = PASSWORD): Promise<Session> {
  const res = await api.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } });
  if (res.statusCode !== 200) throw new Error(`login answered ${res.statusCode}: ${res.body}`);
  return res.json();
}

/** Registers a user and makes it an admin directly in the database, then logs in. */
export async function registerAdmin(api: TestApi): Promise<Session> {
  const email = uniqueEmail('admin');
  const { user } = await register(api, email);
  await api.app.get(DataSource).query(`UPDATE users SET role = 'admin' WHERE id = $1`, [user.id]);
  return login(api, email);
}

/**
 * Moves a rotated refresh token's rotation an hour into the past, out of the
 * grace window, so presenting it again is a replay and not a race.
 */
export async function rotatedLongAgo(api: TestApi, refreshToken: string): Promise<void> {
  const hash = createHash('sha256').update(refreshToken).digest('hex');
  const [, updated]: [unknown, number] = await api.app
    .get(DataSource)
    .query(
      `UPDATE refresh_tokens SET revoked_at = revoked_at - interval '1 hour' WHERE token_hash = $1 AND revoked_reason = 'rotated'`,
      [hash],
    );
  if (updated !== 1) throw new Error(`expected one rotated token, found ${updated}`);
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Signs an HS256 JWT by hand, so tests control every header and claim. */
export function signJwt(
  payload: Record<string, unknown>,
  secret = JWT_SECRET,
  header: Record<string, unknown> = {},
): string {
  const head = b64url({ alg: 'HS256', typ: 'JWT', ...header });
  const body = b64url(payload);
  const sig = createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${sig}`;
}

export function decodeJwt(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
}

export function expectProblem(
  res: { statusCode: number; headers: Record<string, unknown>; json(): any },
  status: number,
  code: string,
) {
  expect({ status: res.statusCode, code: res.json().code }).toEqual({ status, code });
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  return res.json();
}
