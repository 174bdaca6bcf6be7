import { MigrationInterface, QueryRunner } from 'typeorm';

export class AuditEvents1763800100000 implements MigrationInterface {
  name = 'AuditEvents1763800100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE audit_events (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        created_at timestamptz NOT NULL DEFAULT now(),
        action text NOT NULL,
        actor_id uuid REFERENCES users (id) ON DELETE SET NULL,
        subject_id uuid REFERENCES users (id) ON DELETE SET NULL,
        ip text,
        request_id text,
        details jsonb NOT NULL DEFAULT '{}'
      )`);
    await q.query(`CREATE INDEX audit_events_created_idx ON audit_events (created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX audit_events_actor_idx ON audit_events (actor_id, created_at DESC)`);
    await q.query(`CREATE INDEX audit_events_subject_idx ON audit_events (subject_id, created_at DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE audit_events`);
  }
}
