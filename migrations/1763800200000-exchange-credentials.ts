import { MigrationInterface, QueryRunner } from 'typeorm';

export class ExchangeCredentials1763800200000 implements MigrationInterface {
  name = 'ExchangeCredentials1763800200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE exchange_credentials (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        exchange text NOT NULL,
        label text NOT NULL,
        api_key_mask text NOT NULL,
        has_passphrase boolean NOT NULL,
        ciphertext bytea NOT NULL,
        iv bytea NOT NULL CHECK (octet_length(iv) = 12),
        auth_tag bytea NOT NULL CHECK (octet_length(auth_tag) = 16),
        key_version integer NOT NULL CHECK (key_version >= 1),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(
      `CREATE UNIQUE INDEX exchange_credentials_owner_label_key ON exchange_credentials (user_id, exchange, label)`,
    );
    await q.query(`CREATE INDEX exchange_credentials_key_version_idx ON exchange_credentials (key_version)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE exchange_credentials`);
  }
}
