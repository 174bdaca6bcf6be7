import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { RefreshTokenEntity, RevokedReason } from './refresh-token.entity';

export interface NewRefreshToken {
  userId: string;
  familyId: string;
  tokenHash: string;
  expiresAt: Date;
}

/** Refresh tokens, grouped in families (one family per login). */
@Injectable()
export class SessionRepository {
  constructor(@InjectRepository(RefreshTokenEntity) private readonly tokens: Repository<RefreshTokenEntity>) {}

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.tokens.manager.transaction(work);
  }

  async insert(token: NewRefreshToken, manager: EntityManager = this.tokens.manager): Promise<void> {
    await manager.query(
      `INSERT INTO refresh_tokens (user_id, family_id, token_hash, expires_at) VALUES ($1, $2, $3, $4)`,
      [token.userId, token.familyId, token.tokenHash, token.expiresAt],
    );
  }

  /**
   * Marks a live token as used, in one conditional statement: of several
   * concurrent calls with the same token exactly one gets the row back.
   */
  async consume(
    tokenHash: string,
    manager: EntityManager = this.tokens.manager,
  ): Promise<{ userId: string; familyId: string } | undefined> {
    const [rows]: [Array<{ user_id: string; family_id: string }>, number] = await manager.query(
      `UPDATE refresh_tokens SET revoked_at = now(), revoked_reason = 'rotated'
       WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > now()
       RETURNING user_id, family_id`,
      [tokenHash],
    );
    return rows[0] ? { userId: rows[0].user_id, familyId: rows[0].family_id } : undefined;
  }

  /**
   * A token as stored, whatever its state. `withinGrace`: it was rotated less
   * than `graceSeconds` ago (by the database clock, which every instance shares).
   */
  async findByHash(
    tokenHash: string,
    graceSeconds = 0,
  ): Promise<
    { userId: string; familyId: string; revokedReason: RevokedReason | null; withinGrace: boolean } | undefined
  > {
    const rows: Array<{
      user_id: string;
      family_id: string;
      revoked_reason: RevokedReason | null;
      within_grace: boolean;
    }> = await this.tokens.query(
      `SELECT user_id, family_id, revoked_reason,
              (revoked_reason = 'rotated' AND revoked_at > now() - $2 * interval '1 second') IS TRUE AS within_grace
       FROM refresh_tokens WHERE token_hash = $1`,
      [tokenHash, graceSeconds],
    );
    const row = rows[0];
    return row
      ? {
          userId: row.user_id,
          familyId: row.family_id,
          revokedReason: row.revoked_reason,
          withinGrace: row.within_grace,
        }
      : undefined;
  }

  /** A token that is neither used, revoked nor expired. */
  async findLive(tokenHash: string): Promise<{ userId: string; familyId: string; expiresAt: Date } | undefined> {
    const rows: Array<{ user_id: string; family_id: string; expires_at: Date }> = await this.tokens.query(
      `SELECT user_id, family_id, expires_at FROM refresh_tokens
       WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > now()`,
      [tokenHash],
    );
    const row = rows[0];
    return row ? { userId: row.user_id, familyId: row.family_id, expiresAt: row.expires_at } : undefined;
  }

  /**
   * Whether the session (token family) can still be refreshed: a rotation
   * replaces its live token in one transaction, so a live session always has
   * exactly one, and logout, reuse, password change and disabling leave none.
   */
  async isLive(familyId: string): Promise<boolean> {
    const rows: Array<{ live: boolean }> = await this.tokens.query(
      `SELECT EXISTS (
         SELECT 1 FROM refresh_tokens WHERE family_id = $1 AND revoked_at IS NULL AND expires_at > now()
       ) AS live`,
      [familyId],
    );
    return rows[0].live;
  }

  async revokeFamily(userId: string, familyId: string, reason: RevokedReason): Promise<void> {
    await this.tokens.query(
      `UPDATE refresh_tokens SET revoked_at = now(), revoked_reason = $3
       WHERE user_id = $1 AND family_id = $2 AND revoked_at IS NULL`,
      [userId, familyId, reason],
    );
  }

  /** Revokes every live token of the user, except those of `keepFamilyId`; returns the sessions it ended. */
  async revokeAllOfUser(userId: string, reason: RevokedReason, keepFamilyId?: string): Promise<string[]> {
    const [rows]: [Array<{ family_id: string }>, number] = await this.tokens.query(
      `UPDATE refresh_tokens SET revoked_at = now(), revoked_reason = $2
       WHERE user_id = $1 AND revoked_at IS NULL AND ($3::uuid IS NULL OR family_id <> $3::uuid)
       RETURNING family_id`,
      [userId, reason, keepFamilyId ?? null],
    );
    return [...new Set(rows.map((r) => r.family_id))];
  }
}
