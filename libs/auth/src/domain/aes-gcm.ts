import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export const AES_KEY_BYTES = 32;
export const GCM_IV_BYTES = 12;
export const GCM_TAG_BYTES = 16;

/** AES-256-GCM output: all three parts are needed to decrypt. */
export interface Sealed {
  ciphertext: Buffer;
  iv: Buffer;
  tag: Buffer;
}

/** Raised when a ciphertext, IV, tag or associated data was altered, or the key is wrong. */
export class DecryptionFailedError extends Error {
  constructor() {
    super('decryption failed: wrong key or tampered data');
    this.name = 'DecryptionFailedError';
  }
}

/**
 * Encrypts under a fresh random 12-byte IV. `aad` is authenticated but not
 * encrypted: binding a record's identity there stops ciphertexts from being
 * swapped between rows.
 */
export function seal(key: Buffer, plaintext: Buffer, aad: Buffer): Sealed {
  if (key.length !== AES_KEY_BYTES) throw new RangeError(`AES-256 needs a ${AES_KEY_BYTES}-byte key`);
  const iv = randomBytes(GCM_IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: GCM_TAG_BYTES });
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { ciphertext, iv, tag: cipher.getAuthTag() };
}

export function open(key: Buffer, sealed: Sealed, aad: Buffer): Buffer {
  // A short tag would weaken GCM's integrity check; refuse anything but the full 16 bytes.
  if (sealed.iv.length !== GCM_IV_BYTES || sealed.tag.length !== GCM_TAG_BYTES) throw new DecryptionFailedError();
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.iv, { authTagLength: GCM_TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(sealed.tag);
    return Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]);
  } catch {
    throw new DecryptionFailedError();
  }
}

/** `abcd…wxyz`; keys under 12 characters would show most of themselves, so they are fully masked. */
export function maskApiKey(apiKey: string): string {
  const chars = [...apiKey];
  return chars.length < 12 ? '****' : `${chars.slice(0, 4).join('')}…${chars.slice(-4).join('')}`;
}
