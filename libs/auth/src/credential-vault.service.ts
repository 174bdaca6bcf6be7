import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AuditService, RequestMeta } from './audit.service';
import { ExchangeCredentialExistsError, ExchangeCredentialNotFoundError } from './auth.errors';
import { maskApiKey } from './domain/aes-gcm';
import { ExchangeCredentialRecord, ExchangeCredentialRepository } from './exchange-credential.repository';
import { VaultCipher } from './vault-cipher';

export interface NewExchangeCredential {
  exchange: string;
  label: string;
  apiKey: string;
  secret: string;
  passphrase?: string;
}

/** A credential in the clear, for the code that talks to the exchange. Never log or return it. */
export interface RevealedCredential {
  id: string;
  exchange: string;
  label: string;
  apiKey: string;
  secret: string;
  passphrase?: string;
}

interface SecretPayload {
  apiKey: string;
  secret: string;
  passphrase?: string;
}

/**
 * Binds a ciphertext to its record and owner: moving sealed bytes to another
 * row or user makes them fail authentication instead of decrypting.
 */
export function credentialAad(ownerId: string, credentialId: string): Buffer {
  return Buffer.from(`exchange_credentials:${credentialId}:${ownerId}`, 'utf8');
}

/**
 * Users' exchange API credentials, encrypted at rest (AES-256-GCM). The HTTP
 * API only creates, lists (masked) and deletes them; `reveal` is the single way
 * to the plaintext, for other modules (live trading, private data sync).
 */
@Injectable()
export class CredentialVault {
  constructor(
    private readonly credentials: ExchangeCredentialRepository,
    private readonly cipher: VaultCipher,
    private readonly audit: AuditService,
  ) {}

  async create(ownerId: string, input: NewExchangeCredential, meta: RequestMeta): Promise<ExchangeCredentialRecord> {
    this.cipher.assertEnabled();
    const id = randomUUID();
    const payload: SecretPayload = { apiKey: input.apiKey, secret: input.secret, passphrase: input.passphrase };
    const plaintext = Buffer.from(JSON.stringify(payload), 'utf8');
    const sealed = this.cipher.seal(plaintext, credentialAad(ownerId, id));
    // The JS strings stay on the heap regardless; this only stops the buffer copy from lingering.
    plaintext.fill(0);
    const record = await this.credentials.create(ownerId, {
      id,
      exchange: input.exchange,
      label: input.label,
      apiKeyMask: maskApiKey(input.apiKey),
      hasPassphrase: input.passphrase !== undefined,
      sealed,
    });
    if (!record) throw new ExchangeCredentialExistsError();
    await this.audit.record('exchange_credential.created', meta, {
      actorId: ownerId,
      details: { credentialId: record.id, exchange: record.exchange, label: record.label },
    });
    return record;
  }

  list(ownerId: string): Promise<ExchangeCredentialRecord[]> {
    this.cipher.assertEnabled();
    return this.credentials.list(ownerId);
  }

  /** Another user's credential answers EXCHANGE_CREDENTIAL_NOT_FOUND, exactly like one that does not exist. */
  async get(ownerId: string, credentialId: string): Promise<ExchangeCredentialRecord> {
    this.cipher.assertEnabled();
    const record = await this.credentials.find(ownerId, credentialId);
    if (!record) throw new ExchangeCredentialNotFoundError();
    return record;
  }

  async delete(ownerId: string, credentialId: string, meta: RequestMeta): Promise<void> {
    this.cipher.assertEnabled();
    const record = await this.credentials.delete(ownerId, credentialId);
    if (!record) throw new ExchangeCredentialNotFoundError();
    await this.audit.record('exchange_credential.deleted', meta, {
      actorId: ownerId,
      details: { credentialId, exchange: record.exchange, label: record.label },
    });
  }

  /** The decrypted credential, for its owner only. Not exposed over HTTP. */
  async reveal(ownerId: string, credentialId: string): Promise<RevealedCredential> {
    this.cipher.assertEnabled();
    const record = await this.credentials.findSealed(ownerId, credentialId);
    if (!record) throw new ExchangeCredentialNotFoundError();
    const plaintext = this.cipher.open(record.sealed, credentialAad(ownerId, credentialId));
    try {
      const payload = JSON.parse(plaintext.toString('utf8')) as SecretPayload;
      return {
        id: record.id,
        exchange: record.exchange,
        label: record.label,
        apiKey: payload.apiKey,
        secret: payload.secret,
        ...(payload.passphrase === undefined ? {} : { passphrase: payload.passphrase }),
      };
    } finally {
      plaintext.fill(0);
    }
  }
}
