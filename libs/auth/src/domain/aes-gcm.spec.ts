import { randomBytes } from 'node:crypto';
import { DecryptionFailedError, maskApiKey, open, seal, Sealed } from './aes-gcm';

const flip = (buf: Buffer, at = 0): Buffer => {
  const copy = Buffer.from(buf);
  copy[at] ^= 0x01;
  return copy;
};

describe('AES-256-GCM sealing', () => {
  const key = randomBytes(32);
  const aad = Buffer.from('exchange_credentials:1:owner');
  const plaintext = Buffer.from('{"apiKey":"AKIA-1234","secret":"s3cr3t"}');

  it('opens what it sealed', () => {
    const sealed = seal(key, plaintext, aad);
    expect(sealed.iv).toHaveLength(12);
    expect(sealed.tag).toHaveLength(16);
    expect(sealed.ciphertext.includes(plaintext)).toBe(false);
    expect(open(key, sealed, aad).equals(plaintext)).toBe(true);
  });

  it('uses a fresh IV, and so a different ciphertext, for every seal', () => {
    const a = seal(key, plaintext, aad);
    const b = seal(key, plaintext, aad);
    expect(a.iv.equals(b.iv)).toBe(false);
    expect(a.ciphertext.equals(b.ciphertext)).toBe(false);
  });

  it.each<[string, (s: Sealed) => Sealed]>([
    ['ciphertext', (s) => ({ ...s, ciphertext: flip(s.ciphertext, 3) })],
    ['tag', (s) => ({ ...s, tag: flip(s.tag) })],
    ['IV', (s) => ({ ...s, iv: flip(s.iv) })],
    ['truncated tag', (s) => ({ ...s, tag: s.tag.subarray(0, 12) })],
  ])('refuses a tampered %s', (_part, tamper) => {
    expect(() => open(key, tamper(seal(key, plaintext, aad)), aad)).toThrow(DecryptionFailedError);
  });

  it('refuses another key or other associated data', () => {
    const sealed = seal(key, plaintext, aad);
    expect(() => open(randomBytes(32), sealed, aad)).toThrow(DecryptionFailedError);
    expect(() => open(key, sealed, Buffer.from('exchange_credentials:2:owner'))).toThrow(DecryptionFailedError);
  });

  it('rejects a key of the wrong length', () => {
    expect(() => seal(randomBytes(16), plaintext, aad)).toThrow(RangeError);
  });
});

describe(maskApiKey.name, () => {
  it('shows the first and last four characters of a long key', () => {
    expect(maskApiKey('abcdEFGHIJKLmnopwxyz')).toBe('abcd…wxyz');
  });

  it('fully masks a key under 12 characters', () => {
    expect(maskApiKey('abcdefghijk')).toBe('****');
    expect(maskApiKey('abcdefghijkl')).toBe('abcd…ijkl');
  });
});
