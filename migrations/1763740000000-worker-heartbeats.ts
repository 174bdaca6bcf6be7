import { MigrationInterface, QueryRunner } from 'typeorm';

export class WorkerHeartbeats1763740000000 implements MigrationInterface {
  name = 'WorkerHeartbeats1763740000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE worker_heartbeats (
        id uuid PRIMARY KEY,
        hostname text NOT NULL,
        pid integer NOT NULL,
        queues text[] NOT NULL,
        concurrency integer NOT NULL,
        version text NOT NULL,
        started_at timestamptz NOT NULL,
        last_seen_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX worker_heartbeats_last_seen_idx ON worker_heartbeats (last_seen_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE worker_heartbeats`);
  }
}
