import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { AuditAction, AuditEventEntity } from './audit-event.entity';
import { afterCursorSql, cursorTimeSql, ListCursor } from '@app/platform';

export interface NewAuditEvent {
  action: AuditAction;
  actorId: string | null;
  subjectId: string | null;
  ip: string | null;
  requestId: string | null;
  details: Record<string, unknown>;
}

export interface AuditEventRecord extends NewAuditEvent {
  id: string;
  createdAt: Date;
  cursorTs: string;
}

interface AuditRow {
  id: string;
  created_at: Date;
  cursor_ts: string;
  action: AuditAction;
  actor_id: string | null;
  subject_id: string | null;
  ip: string | null;
  request_id: string | null;
  details: Record<string, unknown>;
}

/** The audit log is not owned by one user: only admins read it, across users. */
@Injectable()
export class AuditRepository {
  constructor(@InjectRepository(AuditEventEntity) private readonly events: Repository<AuditEventEntity>) {}

  async insert(event: NewAuditEvent): Promise<void> {
    await this.events.query(
      `INSERT INTO audit_events (action, actor_id, subject_id, ip, request_id, details) VALUES ($1, $2, $3, $4, $5, $6)`,
      [event.action, event.actorId, event.subjectId, event.ip, event.requestId, JSON.stringify(event.details)],
    );
  }

  /** Newest first; reads `limit + 1` rows so the caller can tell whether a next page exists. */
  async list(query: {
    limit: number;
    after?: ListCursor;
    action?: AuditAction;
    userId?: string;
  }): Promise<AuditEventRecord[]> {
    const params: unknown[] = [];
    const where: string[] = [];
    if (query.action) {
      params.push(query.action);
      where.push(`action = $${params.length}`);
    }
    if (query.userId) {
      params.push(query.userId);
      where.push(`(actor_id = $${params.length} OR subject_id = $${params.length})`);
    }
    if (query.after) {
      where.push(afterCursorSql(query.after, params));
    }
    params.push(query.limit + 1);
    const rows: AuditRow[] = await this.events.query(
      `SELECT id, created_at, action, actor_id, subject_id, ip, request_id, details,
              ${cursorTimeSql()}
       FROM audit_events ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY created_at DESC, id DESC LIMIT $${params.length}`,
      params,
    );
    return rows.map((r) => ({
      id: r.id,
      createdAt: r.created_at,
      cursorTs: r.cursor_ts,
      action: r.action,
      actorId: r.actor_id,
      subjectId: r.subject_id,
      ip: r.ip,
      requestId: r.request_id,
      details: r.details,
    }));
  }
}
