import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { CredentialVault } from '@app/auth';
import { loadConfig } from '@app/platform';
import { testEnv } from '@app/testing';
import { runVaultRotate } from '../../apps/cli/src/vault-rotate';
import { createTestApi, TestApi } from '../support/test-app';
import { bearer, expectProblem, JWT_SECRET, register, registerAdmin, Session } from './auth-helpers';

const KEY_1 = 'a1'.repeat(32);
const KEY_2 = Buffer.alloc(32, 0x5c).toString('base64');
const URL = '/api/v1/auth/exchange-credentials';

interface Credential {
  id: string;
  exchange: string;
  label: string;
  apiKeyMasked: string;
  hasPassphrase: boolean;
  createdAt: string;
}

/** Distinctive plaintexts, so a search through bodies and rows cannot match by accident. */
const secretsFor = () => ({
  apiKey: `AK${randomUUID().replace(/-/g, '')}`,
  secret: `SEC-${randomUUID()}-${randomUUID()}`,
  passphrase: `pp-${randomUUID()}`,
});

describe('exchange-credential vault', () => {
  let api: TestApi;
  let owner: Session;
  let stranger: Session;
  const bodies: string[] = [];
  const plaintexts: string[] = [];

  const call = async (session: Session, method: 'GET' | 'POST' | 'DELETE', path = '', payload?: object) => {
    const res = await api.inject({ method, url: `${URL}${path}`, headers: bearer(session.accessToken), payload });
    bodies.push(res.body);
    return res;
  };
  const create = async (session: Session, extra: object = {}) => {
    const secrets = secretsFor();
    plaintexts.push(secrets.apiKey, secrets.secret, secrets.passphrase);
    const res = await call(session, 'POST', '', {
      exchange: 'binance',
      label: `main ${randomUUID()}`,
      ...secrets,
      ...extra,
    });
    expect(res.statusCode).toBe(201);
    return { created: res.json<Credential>(), secrets };
  };
  const db = () => api.app.get(DataSource);

  beforeAll(async () => {
    api = await createTestApi({ env: { JWT_SECRET, ENCRYPTION_KEY: KEY_1 } });
    owner = await register(api);
    stranger = await register(api);
  });
  afterAll(async () => {
    await api.close();
  });

  it('stores a credential and lists it with a masked key only', async () => {
    const { created, secrets } = await create(owner, { exchange: 'kraken', label: 'trading' });
    expect(created).toEqual({
      id: expect.any(String),
      exchange: 'kraken',
      label: 'trading',
      apiKeyMasked: `${secrets.apiKey.slice(0, 4)}…${secrets.apiKey.slice(-4)}`,
      hasPassphrase: true,
      createdAt: expect.any(String),
    });
    const list = await call(owner, 'GET');
    expect(list.statusCode).toBe(200);
    expect(list.json().items).toContainEqual(created);
    const one = await call(owner, 'GET', `/${created.id}`);
    expect(one.json()).toEqual(created);
  });

  it('fully masks a short key and records whether a passphrase is set', async () => {
    const res = await call(owner, 'POST', '', {
      exchange: 'okx',
      label: 'short',
      apiKey: 'abcdefgh',
      secret: 'sh0rt-secret',
    });
    plaintexts.push('sh0rt-secret');
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ apiKeyMasked: '****', hasPassphrase: false });
  });

  it('keeps only ciphertext in the database', async () => {
    const { created, secrets } = await create(owner);
    const [row] = await db().query(
      `SELECT ciphertext, iv, auth_tag, key_version, row_to_json(c)::text AS everything
       FROM exchange_credentials c WHERE id = $1`,
      [created.id],
    );
    expect(row.iv).toHaveLength(12);
    expect(row.auth_tag).toHaveLength(16);
    expect(row.key_version).toBe(1);
    const bytes = Buffer.concat([row.ciphertext, row.iv, row.auth_tag]);
    for (const plain of Object.values(secrets)) {
      expect(bytes.includes(Buffer.from(plain))).toBe(false);
      expect(row.everything).not.toContain(plain);
    }
  });

  it('uses a different IV for every record', async () => {
    const a = await create(owner);
    const b = await create(owner);
    const rows: Array<{ iv: Buffer }> = await db().query(`SELECT iv FROM exchange_credentials WHERE id = ANY($1)`, [
      [a.created.id, b.created.id],
    ]);
    expect(rows).toHaveLength(2);
    expect(rows[0].iv.equals(rows[1].iv)).toBe(false);
  });

  it('answers 409 for a second credential with the same exchange and label', async () => {
    const { created } = await create(owner, { label: 'duplicate' });
    expect(created.label).toBe('duplicate');
    const again = await call(owner, 'POST', '', { exchange: 'binance', label: 'duplicate', ...secretsFor() });
    expectProblem(again, 409, 'EXCHANGE_CREDENTIAL_EXISTS');
    // Another user may use the same exchange and label.
    expect((await create(stranger, { label: 'duplicate' })).created.label).toBe('duplicate');
  });

  it("answers 404 for another user's credential, on read and delete, and leaves it intact", async () => {
    const { created } = await create(owner);
    expectProblem(await call(stranger, 'GET', `/${created.id}`), 404, 'EXCHANGE_CREDENTIAL_NOT_FOUND');
    expectProblem(await call(stranger, 'DELETE', `/${created.id}`), 404, 'EXCHANGE_CREDENTIAL_NOT_FOUND');
    expectProblem(await call(owner, 'GET', `/${randomUUID()}`), 404, 'EXCHANGE_CREDENTIAL_NOT_FOUND');
    expect((await call(stranger, 'GET')).json().items.map((c: Credential) => c.id)).not.toContain(created.id);
    expect((await call(owner, 'GET', `/${created.id}`)).statusCode).toBe(200);
  });

  it('deletes a credential and its ciphertext, once', async () => {
    const { created } = await create(owner);
    expect((await call(owner, 'DELETE', `/${created.id}`)).statusCode).toBe(204);
    expectProblem(await call(owner, 'DELETE', `/${created.id}`), 404, 'EXCHANGE_CREDENTIAL_NOT_FOUND');
    expect(await db().query(`SELECT 1 FROM exchange_credentials WHERE id = $1`, [created.id])).toEqual([]);
  });

  it('audits creation and deletion without secrets', async () => {
    const { created, secrets } = await create(owner);
    await call(owner, 'DELETE', `/${created.id}`);
    const admin = await registerAdmin(api);
    const res = await api.inject({
      url: `/api/v1/admin/audit?userId=${owner.user.id}&limit=100`,
      headers: bearer(admin.accessToken),
    });
    expect(res.statusCode).toBe(200);
    const mine = res
      .json()
      .items.filter((e: { details: { credentialId?: string } }) => e.details.credentialId === created.id)
      .map((e: { action: string }) => e.action);
    expect(mine.sort()).toEqual(['exchange_credential.created', 'exchange_credential.deleted']);
    for (const plain of Object.values(secrets)) expect(res.body).not.toContain(plain);
  });

  it.each<[string, object]>([
    ['an unknown field', { extra: 1 }],
    ['an exchange that is not a lowercase slug', { exchange: 'Binance' }],
    ['an exchange with SQL in it', { exchange: "binance'; DROP TABLE users; --" }],
    ['a label over 64 characters', { label: 'x'.repeat(65) }],
    ['an empty secret', { secret: '' }],
    ['a non-string apiKey', { apiKey: 12345678901234 }],
    ['a passphrase that is not a string', { passphrase: { $ne: null } }],
    ['a null passphrase', { passphrase: null }],
  ])('rejects %s with 400', async (_case, change) => {
    const res = await call(owner, 'POST', '', { exchange: 'binance', label: 'bad input', ...secretsFor(), ...change });
    expectProblem(res, 400, 'VALIDATION_FAILED');
  });

  it('rejects a malformed id with 400 and a missing token with 401', async () => {
    expectProblem(await call(owner, 'GET', "/1' OR '1'='1"), 400, 'VALIDATION_FAILED');
    expectProblem(await call(owner, 'DELETE', '/not-a-uuid'), 400, 'VALIDATION_FAILED');
    expectProblem(await api.inject({ url: URL }), 401, 'AUTHENTICATION_REQUIRED');
  });

  it('stores SQL metacharacters in labels and secrets verbatim', async () => {
    const label = `o'brien"; DROP TABLE exchange_credentials; -- \\ %_`;
    const secret = `'); DELETE FROM users; --${randomUUID()}`;
    plaintexts.push(secret);
    const res = await call(owner, 'POST', '', { exchange: 'coinbase', label, apiKey: `key'--${randomUUID()}`, secret });
    expect(res.statusCode).toBe(201);
    expect(res.json().label).toBe(label);
    const revealed = await api.app.get(CredentialVault).reveal(owner.user.id, res.json().id);
    expect(revealed.secret).toBe(secret);
    expect(await db().query(`SELECT count(*)::int AS n FROM users WHERE id = $1`, [owner.user.id])).toEqual([{ n: 1 }]);
  });

  describe('reveal', () => {
    it('returns the plaintext to the owner', async () => {
      const { created, secrets } = await create(owner, { exchange: 'kucoin' });
      await expect(api.app.get(CredentialVault).reveal(owner.user.id, created.id)).resolves.toEqual({
        id: created.id,
        exchange: 'kucoin',
        label: created.label,
        ...secrets,
      });
    });

    it("answers not found for another owner's credential", async () => {
      const { created } = await create(owner);
      await expect(api.app.get(CredentialVault).reveal(stranger.user.id, created.id)).rejects.toMatchObject({
        code: 'EXCHANGE_CREDENTIAL_NOT_FOUND',
      });
    });

    it('refuses a ciphertext moved to another record', async () => {
      const a = await create(owner);
      const b = await create(owner);
      await db().query(
        `UPDATE exchange_credentials t SET ciphertext = s.ciphertext, iv = s.iv, auth_tag = s.auth_tag
         FROM exchange_credentials s WHERE s.id = $1 AND t.id = $2`,
        [a.created.id, b.created.id],
      );
      await expect(api.app.get(CredentialVault).reveal(owner.user.id, b.created.id)).rejects.toMatchObject({
        code: 'VAULT_DECRYPTION_FAILED',
      });
      await call(owner, 'DELETE', `/${b.created.id}`);
    });
  });

  it('never shows a secret in any response', () => {
    expect(plaintexts.length).toBeGreaterThan(10);
    const all = bodies.join('\n');
    for (const plain of plaintexts) expect(all).not.toContain(plain);
  });

  describe('vault:rotate', () => {
    const v2Env = { ENCRYPTION_KEY: KEY_2, ENCRYPTION_KEY_VERSION: '2' };
    const quiet = { write: () => true };

    // Rotation works on the whole table: credentials other suites sealed under their own keys
    // (the fuzz suite's, for one) would make it fail for reasons this suite does not test.
    beforeAll(async () => {
      await db().query(`DELETE FROM exchange_credentials WHERE user_id <> ALL($1::uuid[])`, [
        [owner.user.id, stranger.user.id],
      ]);
    });

    it('refuses to run without the previous key while old records exist, changing nothing', async () => {
      await expect(runVaultRotate(loadConfig(testEnv(v2Env)), quiet)).rejects.toMatchObject({
        code: 'VAULT_DECRYPTION_FAILED',
      });
      const [{ n }] = await db().query(`SELECT count(*)::int AS n FROM exchange_credentials WHERE key_version = 2`);
      expect(n).toBe(0);
    });

    it('re-encrypts every record under the new key, readable without the old one', async () => {
      const { created, secrets } = await create(owner, { exchange: 'bybit' });
      const [before] = await db().query(`SELECT ciphertext, iv FROM exchange_credentials WHERE id = $1`, [created.id]);
      const out: string[] = [];
      const report = await runVaultRotate(loadConfig(testEnv({ ...v2Env, ENCRYPTION_KEY_PREVIOUS: KEY_1 })), {
        write: (t: string) => out.push(t),
      });
      expect(report.keyVersion).toBe(2);
      expect(report.reencrypted).toBeGreaterThanOrEqual(10);
      expect(out.join('')).toContain(`${report.reencrypted} credential(s) re-encrypted`);
      expect(await db().query(`SELECT id FROM exchange_credentials WHERE key_version <> 2`)).toEqual([]);
      const [after] = await db().query(`SELECT ciphertext, iv FROM exchange_credentials WHERE id = $1`, [created.id]);
      expect(after.iv.equals(before.iv)).toBe(false);
      expect(after.ciphertext.equals(before.ciphertext)).toBe(false);

      const rotated = await createTestApi({ env: { JWT_SECRET, ...v2Env } });
      try {
        await expect(rotated.app.get(CredentialVault).reveal(owner.user.id, created.id)).resolves.toMatchObject(
          secrets,
        );
      } finally {
        await rotated.close();
      }
      // The old key alone can no longer read it.
      await expect(api.app.get(CredentialVault).reveal(owner.user.id, created.id)).rejects.toMatchObject({
        code: 'VAULT_DECRYPTION_FAILED',
      });
    });

    it('has nothing left to do on a second run', async () => {
      const report = await runVaultRotate(loadConfig(testEnv({ ...v2Env, ENCRYPTION_KEY_PREVIOUS: KEY_1 })), quiet);
      expect(report).toEqual({ keyVersion: 2, reencrypted: 0 });
    });
  });
});

describe('exchange-credential vault without ENCRYPTION_KEY', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await createTestApi({ env: { JWT_SECRET, ENCRYPTION_KEY: undefined } });
  });
  afterAll(async () => {
    await api.close();
  });

  it('answers 503 VAULT_DISABLED on every vault route', async () => {
    const session = await register(api);
    const headers = bearer(session.accessToken);
    const payload = { exchange: 'binance', label: 'x', ...secretsFor() };
    expectProblem(await api.inject({ method: 'POST', url: URL, headers, payload }), 503, 'VAULT_DISABLED');
    expectProblem(await api.inject({ url: URL, headers }), 503, 'VAULT_DISABLED');
    expectProblem(
      await api.inject({ method: 'DELETE', url: `${URL}/${randomUUID()}`, headers }),
      503,
      'VAULT_DISABLED',
    );
  });
});
