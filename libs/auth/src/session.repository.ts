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

  async findByHash(
    tokenHash: string,
  ): Promise<{ userId: string; familyId: string; revokedReason: RevokedReason | null } | undefined> {
    const rows: Array<{ user_id: string; family_id: string; revoked_reason: RevokedReason | null }> =
      await this.tokens.query(`SELECT user_id, family_id, revoked_reason FROM refresh_tokens WHERE token_hash = $1`, [
        tokenHash,
      ]);
    return rows[0]
      ? { userId: rows[0].user_id, familyId: rows[0].family_id, revokedReason: rows[0].revoked_reason }
      : undefined;
  }

  async revokeFamily(userId: string, familyId: string, reason: RevokedReason): Promise<void> {
    await this.tokens.query(
      `UPDATE refresh_tokens SET revoked_at = now(), revoked_reason = $3
       WHERE user_id = $1 AND family_id = $2 AND revoked_at IS NULL`,
      [userId, familyId, reason],
    );
  }

  /** Revokes every live token of the user, except those of `keepFamilyId`. */
  async revokeAllOfUser(userId: string, reason: RevokedReason, keepFamilyId?: string): Promise<void> {
    await this.tokens.query(
      `UPDATE refresh_tokens SET revoked_at = now(), revoked_reason = $2
       WHERE user_id = $1 AND revoked_at IS NULL AND ($3::uuid IS NULL OR family_id <> $3::uuid)`,
      [userId, reason, keepFamilyId ?? null],
    );
  }
}
