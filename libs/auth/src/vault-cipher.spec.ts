import { loadConfig } from '@app/platform';
import { VaultDecryptionError, VaultDisabledError } from './auth.errors';
import { VaultCipher } from './vault-cipher';

const KEY_1 = '11'.repeat(32);
const KEY_2 = Buffer.alloc(32, 0x22).toString('base64');
const cipherFor = (env: Record<string, string>) => new VaultCipher(loadConfig({ NODE_ENV: 'test', ...env }));
const aad = Buffer.from('exchange_credentials:id:owner');
const secret = Buffer.from('the secret');

describe(VaultCipher.name, () => {
  const v1 = cipherFor({ ENCRYPTION_KEY: KEY_1 });
  const v2 = cipherFor({ ENCRYPTION_KEY: KEY_2, ENCRYPTION_KEY_VERSION: '2', ENCRYPTION_KEY_PREVIOUS: KEY_1 });

  it('seals under the current key version', () => {
    expect(v1.seal(secret, aad).keyVersion).toBe(1);
    expect(v2.seal(secret, aad).keyVersion).toBe(2);
  });

  it('opens old records with ENCRYPTION_KEY_PREVIOUS', () => {
    const old = v1.seal(secret, aad);
    expect(v2.open(old, aad).equals(secret)).toBe(true);
  });

  it('reseals an old record under the new version with a new IV', () => {
    const old = v1.seal(secret, aad);
    const resealed = v2.reseal(old, aad);
    expect(resealed.keyVersion).toBe(2);
    expect(resealed.iv.equals(old.iv)).toBe(false);
    expect(cipherFor({ ENCRYPTION_KEY: KEY_2, ENCRYPTION_KEY_VERSION: '2' }).open(resealed, aad).equals(secret)).toBe(
      true,
    );
    expect(() => v1.open(resealed, aad)).toThrow(VaultDecryptionError);
  });

  it('cannot open a record whose key version it does not hold', () => {
    const withoutPrevious = cipherFor({ ENCRYPTION_KEY: KEY_2, ENCRYPTION_KEY_VERSION: '2' });
    expect(() => withoutPrevious.open(v1.seal(secret, aad), aad)).toThrow(
      expect.objectContaining({
        code: 'VAULT_DECRYPTION_FAILED',
        extensions: { reason: 'unknown_key_version', keyVersion: 1 },
      }),
    );
  });

  it('reports tampering as a decryption failure', () => {
    const sealed = v1.seal(secret, aad);
    sealed.tag[0] ^= 1;
    expect(() => v1.open(sealed, aad)).toThrow(
      expect.objectContaining({ extensions: { reason: 'tampered', keyVersion: 1 } }),
    );
  });

  it('is disabled without ENCRYPTION_KEY', () => {
    const off = cipherFor({});
    expect(off.enabled).toBe(false);
    expect(() => off.seal(secret, aad)).toThrow(VaultDisabledError);
  });
});
