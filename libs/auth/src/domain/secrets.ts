import { createHash, randomBytes } from 'node:crypto';

/** sha256 of a high-entropy secret (refresh token, API key), hex. Salting adds nothing at 256 bits of entropy. */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** A URL-safe random string carrying `bytes` bytes of entropy. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export const API_KEY_PREFIX = 'qk_';

/**
 * A new API key: `qk_<8 visible chars>_<secret>`. The visible part lets a user
 * recognise a key in the list; only the sha256 of the whole key is stored.
 */
export function newApiKey(): { key: string; prefix: string } {
  const visible = randomBytes(6).toString('base64url');
  const prefix = `${API_KEY_PREFIX}${visible}`;
  return { key: `${prefix}_${randomToken(32)}`, prefix };
}

const API_KEY_FORMAT = /^qk_[A-Za-z0-9_-]{8}_[A-Za-z0-9_-]{43}$/;

/** Whether `key` has the shape newApiKey gives every key: anything else is rejected without a lookup. */
export function isWellFormedApiKey(key: string): boolean {
  return API_KEY_FORMAT.test(key);
}

/** A strong random password for a generated admin account. */
export function generatePassword(): string {
  return randomToken(24);
}
