import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * AI chat (issue 7): chat sessions and their messages, strategy proposals the assistant made,
 * and the per-user, per-day counter that enforces the tier's message quota and sums the tokens.
 *
 * A session's strategy and backtest ids have no foreign key: those rows belong to other features,
 * which check ownership when the session is created and again on every message.
 */
export class AiChat1764000100000 implements MigrationInterface {
  name = 'AiChat1764000100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE ai_sessions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        owner_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        title text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
        strategy_id uuid,
        backtest_id uuid,
        message_count integer NOT NULL DEFAULT 0,
        input_tokens bigint NOT NULL DEFAULT 0,
        output_tokens bigint NOT NULL DEFAULT 0,
        last_message_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp()
      )`);
    await q.query(`CREATE INDEX ai_sessions_owner_created ON ai_sessions (owner_id, created_at DESC, id DESC)`);

    await q.query(`
      CREATE TABLE ai_messages (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        session_id uuid NOT NULL REFERENCES ai_sessions (id) ON DELETE CASCADE,
        owner_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        role text NOT NULL CHECK (role IN ('user', 'assistant')),
        status text NOT NULL DEFAULT 'complete' CHECK (status IN ('complete', 'incomplete')),
        content jsonb NOT NULL,
        model text,
        input_tokens integer NOT NULL DEFAULT 0,
        output_tokens integer NOT NULL DEFAULT 0,
        latency_ms integer,
        stop_reason text,
        error jsonb,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp()
      )`);
    await q.query(`CREATE INDEX ai_messages_session_created ON ai_messages (session_id, created_at DESC, id DESC)`);
    await q.query(
      `COMMENT ON COLUMN ai_messages.content IS 'content blocks: text, tool_use and tool_result, in the order they happened'`,
    );
    await q.query(
      `COMMENT ON COLUMN ai_messages.status IS 'incomplete: the client left or the upstream failed mid-answer; content is what arrived'`,
    );

    await q.query(`
      CREATE TABLE ai_proposals (
        id uuid PRIMARY KEY,
        owner_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        session_id uuid NOT NULL REFERENCES ai_sessions (id) ON DELETE CASCADE,
        message_id uuid NOT NULL REFERENCES ai_messages (id) ON DELETE CASCADE,
        name text NOT NULL,
        description text NOT NULL DEFAULT '',
        tags text[] NOT NULL DEFAULT '{}',
        definition jsonb NOT NULL,
        status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'accepted')),
        strategy_id uuid,
        accepted_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp()
      )`);
    await q.query(`CREATE INDEX ai_proposals_message ON ai_proposals (message_id)`);

    await q.query(`
      CREATE TABLE ai_usage_daily (
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        day date NOT NULL,
        messages integer NOT NULL DEFAULT 0 CHECK (messages >= 0),
        input_tokens bigint NOT NULL DEFAULT 0,
        output_tokens bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (user_id, day)
      )`);
    await q.query(
      `COMMENT ON TABLE ai_usage_daily IS 'one row per user and UTC day: the quota counter and token sums'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE ai_usage_daily`);
    await q.query(`DROP TABLE ai_proposals`);
    await q.query(`DROP TABLE ai_messages`);
    await q.query(`DROP TABLE ai_sessions`);
  }
}
