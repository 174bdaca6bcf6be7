import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { ParameterizedDefinition } from '@app/engine';

export type ProposalStatus = 'draft' | 'accepted';

/** A valid definition the assistant proposed, before it is stored. */
export interface ProposalDraft {
  id: string;
  name: string;
  description: string;
  tags: string[];
  definition: ParameterizedDefinition;
}

export interface ProposalRecord extends ProposalDraft {
  sessionId: string;
  messageId: string;
  status: ProposalStatus;
  strategyId: string | null;
  acceptedAt: Date | null;
  createdAt: Date;
}

interface Row {
  id: string;
  session_id: string;
  message_id: string;
  name: string;
  description: string;
  tags: string[];
  definition: ParameterizedDefinition;
  status: ProposalStatus;
  strategy_id: string | null;
  accepted_at: Date | null;
  created_at: Date;
}

const COLUMNS = `id, session_id, message_id, name, description, tags, definition, status, strategy_id, accepted_at, created_at`;

const toRecord = (r: Row): ProposalRecord => ({
  id: r.id,
  sessionId: r.session_id,
  messageId: r.message_id,
  name: r.name,
  description: r.description,
  tags: r.tags,
  definition: r.definition,
  status: r.status,
  strategyId: r.strategy_id,
  acceptedAt: r.accepted_at,
  createdAt: r.created_at,
});

/** Strategy proposals attached to assistant messages; every query is scoped to the owner. */
@Injectable()
export class ProposalRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async insertMany(
    manager: EntityManager,
    ownerId: string,
    sessionId: string,
    messageId: string,
    drafts: ProposalDraft[],
  ): Promise<void> {
    for (const d of drafts) {
      await manager.query(
        `INSERT INTO ai_proposals (id, owner_id, session_id, message_id, name, description, tags, definition)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [d.id, ownerId, sessionId, messageId, d.name, d.description, d.tags, JSON.stringify(d.definition)],
      );
    }
  }

  async get(ownerId: string, id: string): Promise<ProposalRecord | null> {
    const rows: Row[] = await this.dataSource.query(
      `SELECT ${COLUMNS} FROM ai_proposals WHERE id = $1 AND owner_id = $2`,
      [id, ownerId],
    );
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /** The proposals of these messages, by message id, oldest first. */
  async forMessages(ownerId: string, messageIds: string[]): Promise<Map<string, ProposalRecord[]>> {
    const byMessage = new Map<string, ProposalRecord[]>();
    if (messageIds.length === 0) return byMessage;
    const rows: Row[] = await this.dataSource.query(
      `SELECT ${COLUMNS} FROM ai_proposals WHERE owner_id = $1 AND message_id = ANY($2::uuid[]) ORDER BY created_at, id`,
      [ownerId, messageIds],
    );
    for (const row of rows) {
      const list = byMessage.get(row.message_id) ?? [];
      list.push(toRecord(row));
      byMessage.set(row.message_id, list);
    }
    return byMessage;
  }

  /**
   * Runs `accept` with the proposal locked (so two parallel accepts cannot both save it) and
   * marks it accepted with the strategy id `accept` returns. `accept` gets null when the
   * proposal is not the owner's; when it throws, nothing changes.
   */
  async accept(
    ownerId: string,
    id: string,
    accept: (proposal: ProposalRecord | null) => Promise<string>,
  ): Promise<ProposalRecord> {
    return this.dataSource.transaction(async (m) => {
      const rows: Row[] = await m.query(
        `SELECT ${COLUMNS} FROM ai_proposals WHERE id = $1 AND owner_id = $2 FOR UPDATE`,
        [id, ownerId],
      );
      const strategyId = await accept(rows[0] ? toRecord(rows[0]) : null);
      const [updated]: [Row[], number] = await m.query(
        `UPDATE ai_proposals SET status = 'accepted', strategy_id = $3, accepted_at = clock_timestamp()
         WHERE id = $1 AND owner_id = $2 RETURNING ${COLUMNS}`,
        [id, ownerId, strategyId],
      );
      return toRecord(updated[0]);
    });
  }
}
