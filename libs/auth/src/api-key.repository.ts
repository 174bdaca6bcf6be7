import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { ApiKeyEntity } from './api-key.entity';
import { Role, Tier } from './user.entity';

export interface ApiKeyRecord {
  id: string;
  name: string;
  prefix: string;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  createdAt: Date;
}

interface ApiKeyRow {
  id: string;
  name: string;
  prefix: string;
  expires_at: Date | null;
  last_used_at: Date | null;
  created_at: Date;
}

const COLUMNS = 'id, name, prefix, expires_at, last_used_at, created_at';
const toRecord = (r: ApiKeyRow): ApiKeyRecord => ({
  id: r.id,
  name: r.name,
  prefix: r.prefix,
  expiresAt: r.expires_at,
  lastUsedAt: r.last_used_at,
  createdAt: r.created_at,
});

@Injectable()
export class ApiKeyRepository {
  constructor(@InjectRepository(ApiKeyEntity) private readonly keys: Repository<ApiKeyEntity>) {}

  /**
   * Inserts a key unless the owner already holds `limit` active ones; checked
   * under a lock on the owner's row so parallel creations cannot exceed it.
   */
  async create(
    userId: string,
    input: { name: string; prefix: string; keyHash: string; expiresAt: Date | null },
    limit: number,
  ): Promise<ApiKeyRecord | undefined> {
    return this.keys.manager.transaction(async (m) => {
      await m.query(`SELECT 1 FROM users WHERE id = $1 FOR UPDATE`, [userId]);
      const [{ count }]: Array<{ count: number }> = await m.query(
        `SELECT count(*)::int AS count FROM api_keys
         WHERE user_id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())`,
        [userId],
      );
      if (count >= limit) return undefined;
      const rows: ApiKeyRow[] = await m.query(
        `INSERT INTO api_keys (user_id, name, prefix, key_hash, expires_at) VALUES ($1, $2, $3, $4, $5)
         RETURNING ${COLUMNS}`,
        [userId, input.name, input.prefix, input.keyHash, input.expiresAt],
      );
      return toRecord(rows[0]);
    });
  }

  /** The owner's active keys, newest first. */
  async list(userId: string): Promise<ApiKeyRecord[]> {
    const rows: ApiKeyRow[] = await this.keys.query(
      `SELECT ${COLUMNS} FROM api_keys
       WHERE user_id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
       ORDER BY created_at DESC, id DESC`,
      [userId],
    );
    return rows.map(toRecord);
  }

  /** False when the key does not exist, is not the owner's, or is already revoked. */
  async revoke(userId: string, id: string): Promise<boolean> {
    const [, affected]: [unknown[], number] = await this.keys.query(
      `UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL`,
      [id, userId],
    );
    return affected > 0;
  }

  /** The owner behind a live key, found by the key's hash. */
  async findOwnerByHash(
    keyHash: string,
  ): Promise<
    { keyId: string; userId: string; role: Role; tier: Tier; disabled: boolean; lastUsedAt: Date | null } | undefined
  > {
    const rows: Array<{
      key_id: string;
      user_id: string;
      role: Role;
      tier: Tier;
      disabled: boolean;
      last_used_at: Date | null;
    }> = await this.keys.query(
      `SELECT k.id AS key_id, u.id AS user_id, u.role, u.tier, u.disabled, k.last_used_at
       FROM api_keys k JOIN users u ON u.id = k.user_id
       WHERE k.key_hash = $1 AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())`,
      [keyHash],
    );
    const r = rows[0];
    return r
      ? {
          keyId: r.key_id,
          userId: r.user_id,
          role: r.role,
          tier: r.tier,
          disabled: r.disabled,
          lastUsedAt: r.last_used_at,
        }
      : undefined;
  }

  async touch(userId: string, keyId: string): Promise<void> {
    await this.keys.query(`UPDATE api_keys SET last_used_at = now() WHERE id = $1 AND user_id = $2`, [keyId, userId]);
  }
}
