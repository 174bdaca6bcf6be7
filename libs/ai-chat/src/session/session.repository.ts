import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { afterCursorSql, cursorTimeSql, ListCursor } from '@app/platform';
import type { TokenUsage } from '../domain/content';

export interface SessionRecord {
  id: string;
  ownerId: string;
  title: string;
  strategyId: string | null;
  backtestId: string | null;
  messageCount: number;
  usage: TokenUsage;
  lastMessageAt: Date | null;
  createdAt: Date;
  cursorTs: string;
}

interface Row {
  id: string;
  owner_id: string;
  title: string;
  strategy_id: string | null;
  backtest_id: string | null;
  message_count: number;
  input_tokens: string;
  output_tokens: string;
  last_message_at: Date | null;
  created_at: Date;
  cursor_ts: string;
}

const COLUMNS = `id, owner_id, title, strategy_id, backtest_id, message_count, input_tokens, output_tokens,
  last_message_at, created_at, ${cursorTimeSql()}`;

const toRecord = (r: Row): SessionRecord => ({
  id: r.id,
  ownerId: r.owner_id,
  title: r.title,
  strategyId: r.strategy_id,
  backtestId: r.backtest_id,
  messageCount: r.message_count,
  usage: { inputTokens: Number(r.input_tokens), outputTokens: Number(r.output_tokens) },
  lastMessageAt: r.last_message_at,
  createdAt: r.created_at,
  cursorTs: r.cursor_ts,
});

/** Chat sessions; every query is scoped to the owner. */
@Injectable()
export class SessionRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async create(
    ownerId: string,
    input: { title: string; strategyId: string | null; backtestId: string | null },
  ): Promise<SessionRecord> {
    const rows: Row[] = await this.dataSource.query(
      `INSERT INTO ai_sessions (owner_id, title, strategy_id, backtest_id) VALUES ($1, $2, $3, $4) RETURNING ${COLUMNS}`,
      [ownerId, input.title, input.strategyId, input.backtestId],
    );
    return toRecord(rows[0]);
  }

  async get(
    ownerId: string,
    id: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<SessionRecord | null> {
    const rows: Row[] = await manager.query(`SELECT ${COLUMNS} FROM ai_sessions WHERE id = $1 AND owner_id = $2`, [
      id,
      ownerId,
    ]);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /** Newest first; one row more than `limit` tells that another page exists. */
  async list(ownerId: string, query: { limit: number; after?: ListCursor }): Promise<SessionRecord[]> {
    const params: unknown[] = [ownerId, query.limit + 1];
    let where = 'owner_id = $1';
    if (query.after) {
      where += ` AND ${afterCursorSql(query.after, params)}`;
    }
    const rows: Row[] = await this.dataSource.query(
      `SELECT ${COLUMNS} FROM ai_sessions WHERE ${where} ORDER BY created_at DESC, id DESC LIMIT $2`,
      params,
    );
    return rows.map(toRecord);
  }

  /** Deletes the session with its messages and proposals; false when it is not the owner's. */
  async delete(ownerId: string, id: string): Promise<boolean> {
    const [, affected]: [unknown[], number] = await this.dataSource.query(
      `DELETE FROM ai_sessions WHERE id = $1 AND owner_id = $2`,
      [id, ownerId],
    );
    return affected > 0;
  }

  /**
   * Counts a new message on the session and returns it, locked until the transaction ends; null
   * when the session is not the owner's.
   */
  async touch(manager: EntityManager, ownerId: string, id: string): Promise<SessionRecord | null> {
    const [rows]: [Row[], number] = await manager.query(
      `UPDATE ai_sessions SET message_count = message_count + 1, last_message_at = clock_timestamp()
       WHERE id = $1 AND owner_id = $2 RETURNING ${COLUMNS}`,
      [id, ownerId],
    );
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async addActivity(
    manager: EntityManager,
    ownerId: string,
    id: string,
    change: { messages: number; usage: TokenUsage },
  ): Promise<void> {
    await manager.query(
      `UPDATE ai_sessions SET message_count = message_count + $3, input_tokens = input_tokens + $4,
         output_tokens = output_tokens + $5, last_message_at = clock_timestamp()
       WHERE id = $1 AND owner_id = $2`,
      [id, ownerId, change.messages, change.usage.inputTokens, change.usage.outputTokens],
    );
  }
}
