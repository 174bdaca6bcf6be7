import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { afterCursorSql, cursorTimeSql, ListCursor } from '@app/platform';
import type { ChatBlock, ChatRole, ChatTurnMessage, TokenUsage } from '../domain/content';

export type MessageStatus = 'complete' | 'incomplete';

export interface MessageRecord {
  id: string;
  sessionId: string;
  role: ChatRole;
  status: MessageStatus;
  content: ChatBlock[];
  model: string | null;
  usage: TokenUsage;
  latencyMs: number | null;
  stopReason: string | null;
  error: { code: string; message: string } | null;
  createdAt: Date;
  cursorTs: string;
}

interface Row {
  id: string;
  session_id: string;
  role: ChatRole;
  status: MessageStatus;
  content: ChatBlock[];
  model: string | null;
  input_tokens: number;
  output_tokens: number;
  latency_ms: number | null;
  stop_reason: string | null;
  error: { code: string; message: string } | null;
  created_at: Date;
  cursor_ts: string;
}

const COLUMNS = `id, session_id, role, status, content, model, input_tokens, output_tokens, latency_ms, stop_reason,
  error, created_at, ${cursorTimeSql()}`;

const toRecord = (r: Row): MessageRecord => ({
  id: r.id,
  sessionId: r.session_id,
  role: r.role,
  status: r.status,
  content: r.content,
  model: r.model,
  usage: { inputTokens: r.input_tokens, outputTokens: r.output_tokens },
  latencyMs: r.latency_ms,
  stopReason: r.stop_reason,
  error: r.error,
  createdAt: r.created_at,
  cursorTs: r.cursor_ts,
});

export interface NewAssistantMessage {
  status: MessageStatus;
  content: ChatBlock[];
  model: string;
  usage: TokenUsage;
  latencyMs: number;
  stopReason: string | null;
  error: { code: string; message: string } | null;
}

/** Messages of chat sessions; every query is scoped to the owner. */
@Injectable()
export class MessageRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async insertUser(manager: EntityManager, ownerId: string, sessionId: string, text: string): Promise<MessageRecord> {
    const rows: Row[] = await manager.query(
      `INSERT INTO ai_messages (session_id, owner_id, role, content) VALUES ($1, $2, 'user', $3) RETURNING ${COLUMNS}`,
      [sessionId, ownerId, JSON.stringify([{ type: 'text', text }])],
    );
    return toRecord(rows[0]);
  }

  async insertAssistant(
    manager: EntityManager,
    ownerId: string,
    sessionId: string,
    message: NewAssistantMessage,
  ): Promise<MessageRecord> {
    const rows: Row[] = await manager.query(
      `INSERT INTO ai_messages (session_id, owner_id, role, status, content, model, input_tokens, output_tokens,
         latency_ms, stop_reason, error)
       VALUES ($1, $2, 'assistant', $3, $4, $5, $6, $7, $8, $9, $10) RETURNING ${COLUMNS}`,
      [
        sessionId,
        ownerId,
        message.status,
        JSON.stringify(message.content),
        message.model,
        message.usage.inputTokens,
        message.usage.outputTokens,
        message.latencyMs,
        message.stopReason,
        message.error === null ? null : JSON.stringify(message.error),
      ],
    );
    return toRecord(rows[0]);
  }

  async delete(manager: EntityManager, ownerId: string, id: string): Promise<void> {
    await manager.query(`DELETE FROM ai_messages WHERE id = $1 AND owner_id = $2`, [id, ownerId]);
  }

  /** The newest `limit` messages of the session as model history, oldest first. */
  async history(ownerId: string, sessionId: string, limit: number): Promise<ChatTurnMessage[]> {
    const rows: Array<{ role: ChatRole; content: ChatBlock[] }> = await this.dataSource.query(
      `SELECT role, content FROM ai_messages WHERE session_id = $1 AND owner_id = $2
       ORDER BY created_at DESC, id DESC LIMIT $3`,
      [sessionId, ownerId, limit],
    );
    return rows.reverse().map((r) => ({ role: r.role, content: r.content }));
  }

  /** Newest first; one row more than `limit` tells that another page exists. */
  async list(
    ownerId: string,
    sessionId: string,
    query: { limit: number; after?: ListCursor },
  ): Promise<MessageRecord[]> {
    const params: unknown[] = [sessionId, ownerId, query.limit + 1];
    let where = 'session_id = $1 AND owner_id = $2';
    if (query.after) {
      where += ` AND ${afterCursorSql(query.after, params)}`;
    }
    const rows: Row[] = await this.dataSource.query(
      `SELECT ${COLUMNS} FROM ai_messages WHERE ${where} ORDER BY created_at DESC, id DESC LIMIT $3`,
      params,
    );
    return rows.map(toRecord);
  }
}
