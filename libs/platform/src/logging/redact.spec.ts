import { REDACTED, redactSecrets } from './redact';

describe('redactSecrets', () => {
  it('returns the very same object when there is nothing to hide', () => {
    const line = { method: 'GET', url: '/api/v1/auth/me', status: 200, nested: { route: '/x' } };
    expect(redactSecrets(line)).toBe(line);
  });

  it('hides secret-named values at the top and nested levels, whatever their case', () => {
    const input = {
      password: 'hunter2',
      Authorization: 'Bearer abc',
      user: { email: 'a@b.c', password: 'hunter2' },
      session: { accessToken: 'tok-a', refreshToken: 'tok-r', token: 'tok' },
      deep: { key: { apiKey: 'qk_live_x', secret: 's3cr3t', passphrase: 'pp' } },
      list: [{ token: 'in-array' }],
    };
    const out = redactSecrets(input);
    const text = JSON.stringify(out);
    for (const secret of [
      'hunter2',
      'Bearer abc',
      'tok-a',
      'tok-r',
      '"tok"',
      'qk_live_x',
      's3cr3t',
      '"pp"',
      'in-array',
    ]) {
      expect(text).not.toContain(secret);
    }
    expect(out.user.email).toBe('a@b.c');
    expect(out.password).toBe(REDACTED);
    expect(Array.isArray(out.list)).toBe(true);
  });

  it('never modifies the caller’s object', () => {
    const input = { user: { password: 'hunter2' }, other: { fine: 1 } };
    const out = redactSecrets(input);
    expect(input.user.password).toBe('hunter2');
    // Only the changed branch is copied.
    expect(out.other).toBe(input.other);
  });

  it('leaves dates and buffers to pino', () => {
    const input = { at: new Date(0), buf: Buffer.from('a') };
    expect(redactSecrets(input)).toBe(input);
  });

  it('turns errors under any other key than err into their safe shape, without their properties', () => {
    const err = Object.assign(new Error('boom'), { token: 'x', parameters: ['sealed'] });
    const out = redactSecrets({ err, error: err, nested: { detail: [err] } }) as unknown as Record<string, any>;
    expect(out.err).toBe(err);
    for (const safe of [out.error, out.nested.detail[0]]) {
      expect(safe).toMatchObject({ type: 'Error', message: 'boom' });
      expect(JSON.stringify(safe)).not.toMatch(/sealed|token/);
    }
  });

  it('keeps an undefined secret undefined (pino leaves it out)', () => {
    expect(redactSecrets({ password: undefined }).password).toBeUndefined();
  });
});
