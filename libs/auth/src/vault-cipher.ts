import { Injectable, Logger } from '@nestjs/common';
import { AppConfig, decodeEncryptionKey } from '@app/platform';
import { VaultDecryptionError, VaultDisabledError } from './auth.errors';
import { DecryptionFailedError, open, seal, Sealed } from './domain/aes-gcm';

/** Sealed bytes plus the version of the key that sealed them. */
export interface VersionedSealed extends Sealed {
  keyVersion: number;
}

/**
 * The vault's keys: ENCRYPTION_KEY under ENCRYPTION_KEY_VERSION, and during a
 * rotation ENCRYPTION_KEY_PREVIOUS under version - 1. New records are always
 * sealed under the current key; records are opened with the key of their stored version.
 */
@Injectable()
export class VaultCipher {
  private readonly logger = new Logger(VaultCipher.name);
  private readonly keys = new Map<number, Buffer>();
  readonly currentVersion: number;

  constructor(config: AppConfig) {
    const env = config.env;
    this.currentVersion = env.ENCRYPTION_KEY_VERSION;
    const current = env.ENCRYPTION_KEY === undefined ? undefined : decodeEncryptionKey(env.ENCRYPTION_KEY);
    if (!current) {
      // loadConfig refuses production without the key; elsewhere the vault stays off rather than
      // sealing secrets under a per-process key that a restart would lose.
      this.logger.warn('ENCRYPTION_KEY is not set: the exchange-credential vault answers 503 VAULT_DISABLED.');
      return;
    }
    this.keys.set(this.currentVersion, current);
    const previous =
      env.ENCRYPTION_KEY_PREVIOUS === undefined ? undefined : decodeEncryptionKey(env.ENCRYPTION_KEY_PREVIOUS);
    if (previous) this.keys.set(this.currentVersion - 1, previous);
  }

  get enabled(): boolean {
    return this.keys.has(this.currentVersion);
  }

  /** Throws VAULT_DISABLED when no key is configured. */
  assertEnabled(): void {
    if (!this.enabled) throw new VaultDisabledError();
  }

  seal(plaintext: Buffer, aad: Buffer): VersionedSealed {
    const key = this.keys.get(this.currentVersion);
    if (!key) throw new VaultDisabledError();
    return { ...seal(key, plaintext, aad), keyVersion: this.currentVersion };
  }

  open(sealed: VersionedSealed, aad: Buffer): Buffer {
    this.assertEnabled();
    const key = this.keys.get(sealed.keyVersion);
    if (!key) throw new VaultDecryptionError('unknown_key_version', sealed.keyVersion);
    try {
      return open(key, sealed, aad);
    } catch (err) {
      if (err instanceof DecryptionFailedError) throw new VaultDecryptionError('tampered', sealed.keyVersion);
      throw err;
    }
  }

  /** Decrypts with the record's key and seals again under the current one, with a fresh IV. */
  reseal(sealed: VersionedSealed, aad: Buffer): VersionedSealed {
    const plaintext = this.open(sealed, aad);
    try {
      return this.seal(plaintext, aad);
    } finally {
      plaintext.fill(0);
    }
  }
}
