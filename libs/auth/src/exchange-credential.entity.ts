import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One user's API credentials for one exchange; the secrets exist here only as AES-256-GCM ciphertext. */
@Entity('exchange_credentials')
export class ExchangeCredentialEntity {
  /** Chosen by the service before encryption, because it is part of the associated data. */
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ type: 'text' })
  exchange!: string;

  @Column({ type: 'text' })
  label!: string;

  @Column({ name: 'api_key_mask', type: 'text' })
  apiKeyMask!: string;

  @Column({ name: 'has_passphrase', type: 'boolean' })
  hasPassphrase!: boolean;

  @Column({ type: 'bytea', select: false })
  ciphertext!: Buffer;

  @Column({ type: 'bytea', select: false })
  iv!: Buffer;

  @Column({ name: 'auth_tag', type: 'bytea', select: false })
  authTag!: Buffer;

  @Column({ name: 'key_version', type: 'integer' })
  keyVersion!: number;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
