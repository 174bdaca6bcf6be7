import { QueryFailedError } from 'typeorm';
import { errSerializer, queryShape, serializeError } from './safe-error';

describe('serializeError', () => {
  const sealed = Buffer.from('ciphertext-of-an-exchange-secret');
  const driverError = Object.assign(new Error('canceling statement due to statement timeout'), {
    code: '57014',
    detail: 'Key (key_hash)=(9f86d081884c7d65) already exists.',
  });
  const failed = new QueryFailedError(
    'INSERT INTO "exchange_credentials"("id", "ciphertext", "iv") VALUES ($1, $2, $3)',
    ['0b1c', sealed, 'iv-bytes-4d2a'],
    driverError,
  );

  it('keeps a failed query to its shape and SQLSTATE, never its values or server detail', () => {
    const safe = serializeError(failed);
    expect(safe).toMatchObject({
      type: 'QueryFailedError',
      message: 'canceling statement due to statement timeout',
      code: '57014',
      query: 'INSERT INTO "exchange_credentials"("id", "ciphertext", "iv") VALUES ($1, $2, $3)',
    });
    const text = JSON.stringify(safe);
    expect(text).not.toMatch(/parameters|driverError|iv-bytes|9f86d081|Buffer/);
    expect(text).toContain('"stack"');
  });

  it('leaves the stack out when asked, and walks the cause', () => {
    const wrapped = new Error('database is unavailable', { cause: failed });
    const safe = serializeError(wrapped, { stack: false }) as Record<string, any>;
    expect(safe.stack).toBeUndefined();
    expect(safe.cause).toMatchObject({ code: '57014', query: expect.stringContaining('INSERT INTO') });
    expect(JSON.stringify(safe)).not.toMatch(/iv-bytes|stack/);
  });

  it('masks quoted literals in a statement', () => {
    expect(queryShape(`SELECT 1 FROM api_keys WHERE prefix = 'qk_abc''d'   AND id = $1`)).toBe(
      `SELECT 1 FROM api_keys WHERE prefix = '…' AND id = $1`,
    );
  });

  it("reduces pino's own copy of an error (as pino-http hands it over) to the same allowlist", () => {
    const copied = { type: 'QueryFailedError', message: 'm', stack: 'S', parameters: [sealed], driverError };
    expect(errSerializer(copied)).toEqual({ type: 'QueryFailedError', message: 'm', stack: 'S', code: '57014' });
    expect(errSerializer('text')).toBe('text');
  });
});
