import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Strategies (issue 6): a named strategy owned by one user, and its immutable definition
 * versions. Backtests reference a version, so a result always shows exactly what ran; a
 * strategy that backtests reference is deleted softly (`deleted_at`), else for good.
 */
export class Strategies1764000000000 implements MigrationInterface {
  name = 'Strategies1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE strategies (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        owner_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 120),
        description text NOT NULL DEFAULT '',
        tags text[] NOT NULL DEFAULT '{}',
        latest_version integer NOT NULL DEFAULT 1 CHECK (latest_version > 0),
        deleted_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(
      `CREATE INDEX strategies_owner_created ON strategies (owner_id, created_at DESC, id DESC) WHERE deleted_at IS NULL`,
    );
    await q.query(`
      CREATE TABLE strategy_versions (
        strategy_id uuid NOT NULL REFERENCES strategies (id) ON DELETE CASCADE,
        version integer NOT NULL CHECK (version > 0),
        definition jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (strategy_id, version)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE strategy_versions`);
    await q.query(`DROP TABLE strategies`);
  }
}
