import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { ExchangeCredentialEntity } from './exchange-credential.entity';
import { VersionedSealed } from './vault-cipher';

export interface ExchangeCredentialRecord {
  id: string;
  exchange: string;
  label: string;
  apiKeyMask: string;
  hasPassphrase: boolean;
  keyVersion: number;
  createdAt: Date;
}

/** A record with its sealed secrets and owner, for decryption. */
export interface SealedCredential extends ExchangeCredentialRecord {
  userId: string;
  sealed: VersionedSealed;
}

interface CredentialRow {
  id: string;
  user_id: string;
  exchange: string;
  label: string;
  api_key_mask: string;
  has_passphrase: boolean;
  key_version: number;
  created_at: Date;
  ciphertext?: Buffer;
  iv?: Buffer;
  auth_tag?: Buffer;
}

const COLUMNS = 'id, user_id, exchange, label, api_key_mask, has_passphrase, key_version, created_at';
const SEALED_COLUMNS = `${COLUMNS}, ciphertext, iv, auth_tag`;
const UNIQUE_VIOLATION = '23505';

const toRecord = (r: CredentialRow): ExchangeCredentialRecord => ({
  id: r.id,
  exchange: r.exchange,
  label: r.label,
  apiKeyMask: r.api_key_mask,
  hasPassphrase: r.has_passphrase,
  keyVersion: r.key_version,
  createdAt: r.created_at,
});

const toSealed = (r: CredentialRow): SealedCredential => ({
  ...toRecord(r),
  userId: r.user_id,
  sealed: { ciphertext: r.ciphertext!, iv: r.iv!, tag: r.auth_tag!, keyVersion: r.key_version },
});

@Injectable()
export class ExchangeCredentialRepository {
  constructor(
    @InjectRepository(ExchangeCredentialEntity) private readonly credentials: Repository<ExchangeCredentialEntity>,
  ) {}

  /** Undefined when the owner already holds a credential with this exchange and label. */
  async create(
    userId: string,
    input: {
      id: string;
      exchange: string;
      label: string;
      apiKeyMask: string;
      hasPassphrase: boolean;
      sealed: VersionedSealed;
    },
  ): Promise<ExchangeCredentialRecord | undefined> {
    try {
      const rows: CredentialRow[] = await this.credentials.query(
        `INSERT INTO exchange_credentials
           (id, user_id, exchange, label, api_key_mask, has_passphrase, ciphertext, iv, auth_tag, key_version)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         RETURNING ${COLUMNS}`,
        [
          input.id,
          userId,
          input.exchange,
          input.label,
          input.apiKeyMask,
          input.hasPassphrase,
          input.sealed.ciphertext,
          input.sealed.iv,
          input.sealed.tag,
          input.sealed.keyVersion,
        ],
      );
      return toRecord(rows[0]);
    } catch (err) {
      if ((err as { driverError?: { code?: string } }).driverError?.code === UNIQUE_VIOLATION) return undefined;
      throw err;
    }
  }

  /** The owner's credentials, newest first, without their secrets. */
  async list(userId: string): Promise<ExchangeCredentialRecord[]> {
    const rows: CredentialRow[] = await this.credentials.query(
      `SELECT ${COLUMNS} FROM exchange_credentials WHERE user_id = $1 ORDER BY created_at DESC, id DESC`,
      [userId],
    );
    return rows.map(toRecord);
  }

  async find(userId: string, id: string): Promise<ExchangeCredentialRecord | undefined> {
    const rows: CredentialRow[] = await this.credentials.query(
      `SELECT ${COLUMNS} FROM exchange_credentials WHERE id = $1 AND user_id = $2`,
      [id, userId],
    );
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  async findSealed(userId: string, id: string): Promise<SealedCredential | undefined> {
    const rows: CredentialRow[] = await this.credentials.query(
      `SELECT ${SEALED_COLUMNS} FROM exchange_credentials WHERE id = $1 AND user_id = $2`,
      [id, userId],
    );
    return rows[0] ? toSealed(rows[0]) : undefined;
  }

  /** The deleted record, or undefined when it does not exist or is not the owner's. */
  async delete(userId: string, id: string): Promise<ExchangeCredentialRecord | undefined> {
    const [rows]: [CredentialRow[], number] = await this.credentials.query(
      `DELETE FROM exchange_credentials WHERE id = $1 AND user_id = $2 RETURNING ${COLUMNS}`,
      [id, userId],
    );
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  /**
   * Key rotation, across all owners: locks up to `limit` records not yet under
   * `version`, replaces each one's sealed secrets with `reseal(record)`, and
   * returns how many it rewrote (0 when none is left). One transaction per
   * batch, so a failure leaves every record readable under its stored version.
   */
  async resealBatch(
    version: number,
    limit: number,
    reseal: (record: SealedCredential) => VersionedSealed,
  ): Promise<number> {
    return this.credentials.manager.transaction(async (m) => {
      const rows: CredentialRow[] = await m.query(
        `SELECT ${SEALED_COLUMNS} FROM exchange_credentials WHERE key_version <> $1
         ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED`,
        [version, limit],
      );
      for (const row of rows) {
        const next = reseal(toSealed(row));
        await m.query(
          `UPDATE exchange_credentials
           SET ciphertext = $3, iv = $4, auth_tag = $5, key_version = $6, updated_at = now()
           WHERE id = $1 AND user_id = $2`,
          [row.id, row.user_id, next.ciphertext, next.iv, next.tag, next.keyVersion],
        );
      }
      return rows.length;
    });
  }
}
