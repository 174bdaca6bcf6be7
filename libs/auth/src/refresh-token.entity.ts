import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type RevokedReason = 'rotated' | 'logout' | 'reuse' | 'password_change' | 'disabled';

/**
 * One refresh token of a token family (one login). Only the sha256 of the token
 * is stored. Each use revokes the row as `rotated` and adds the next one to the
 * family; presenting a `rotated` token again revokes the whole family.
 */
@Entity('refresh_tokens')
export class RefreshTokenEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ name: 'family_id', type: 'uuid' })
  familyId!: string;

  @Column({ name: 'token_hash', type: 'text' })
  tokenHash!: string;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;

  @Column({ name: 'revoked_reason', type: 'text', nullable: true })
  revokedReason!: RevokedReason | null;
}
