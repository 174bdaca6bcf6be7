import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export const AUDIT_ACTIONS = [
  'user.registered',
  'login.succeeded',
  'login.failed',
  'logout',
  'refresh.reused',
  'password.changed',
  'api_key.created',
  'api_key.revoked',
  'exchange_credential.created',
  'exchange_credential.deleted',
  'user.updated',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** Who did what to whom, when, from where. Never holds a secret. */
@Entity('audit_events')
export class AuditEventEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'text' })
  action!: AuditAction;

  @Column({ name: 'actor_id', type: 'uuid', nullable: true })
  actorId!: string | null;

  @Column({ name: 'subject_id', type: 'uuid', nullable: true })
  subjectId!: string | null;

  @Column({ type: 'text', nullable: true })
  ip!: string | null;

  @Column({ name: 'request_id', type: 'text', nullable: true })
  requestId!: string | null;

  @Column({ type: 'jsonb' })
  details!: Record<string, unknown>;
}
