import { randomUUID } from 'node:crypto';
import { loadConfig } from '@app/platform';
import { AccessTokenExpiredError, AccessTokenInvalidError } from './auth.errors';
import { ACCESS_TOKEN_TTL_SECONDS, TokenService } from './token.service';

describe('TokenService', () => {
  const config = loadConfig({ JWT_SECRET: 'unit-secret-unit-secret-unit-secret-0000' });
  const claims = { sub: randomUUID(), role: 'user' as const, tier: 'pro' as const, sid: randomUUID() };

  afterEach(() => jest.restoreAllMocks());

  it('verifies a token it signed, again from memory, with the same claims', () => {
    const tokens = new TokenService(config);
    const { token } = tokens.sign(claims);
    const first = tokens.verify(token);
    expect(first).toMatchObject(claims);
    expect(tokens.verify(token)).toBe(first);
  });

  it('refuses a remembered token once it has expired', () => {
    const tokens = new TokenService(config);
    const { token } = tokens.sign(claims);
    tokens.verify(token);
    const now = Date.now();
    jest.spyOn(Date, 'now').mockReturnValue(now + (ACCESS_TOKEN_TTL_SECONDS + 1) * 1000);
    expect(() => tokens.verify(token)).toThrow(AccessTokenExpiredError);
    // And keeps refusing it (the entry is gone, the signature check now says expired).
    expect(() => tokens.verify(token)).toThrow(AccessTokenExpiredError);
  });

  it('does not let a remembered token vouch for a tampered copy', () => {
    const tokens = new TokenService(config);
    const { token } = tokens.sign(claims);
    tokens.verify(token);
    const [header, payload, signature] = token.split('.');
    const forged = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    forged.tier = 'elite';
    const tampered = [header, Buffer.from(JSON.stringify(forged)).toString('base64url'), signature].join('.');
    expect(() => tokens.verify(tampered)).toThrow(AccessTokenInvalidError);
  });
});
