import { Injectable } from '@nestjs/common';
import { AuditAction } from './audit-event.entity';
import { AuditEventRecord, AuditRepository } from './audit.repository';
import { InvalidCursorError } from './auth.errors';
import { decodeCursor, encodeCursor } from '@app/platform';

/** Where a request came from, for the audit log; the API fills it in. */
export interface RequestMeta {
  ip?: string;
  requestId?: string;
}

export interface AuditPage {
  items: AuditEventRecord[];
  nextCursor: string | null;
}

/** Records security-relevant events (logins, token reuse, key and account changes) and lists them for admins. */
@Injectable()
export class AuditService {
  constructor(private readonly events: AuditRepository) {}

  async record(
    action: AuditAction,
    meta: RequestMeta,
    event: { actorId?: string | null; subjectId?: string | null; details?: Record<string, unknown> } = {},
  ): Promise<void> {
    await this.events.insert({
      action,
      actorId: event.actorId ?? null,
      subjectId: event.subjectId ?? event.actorId ?? null,
      ip: meta.ip ?? null,
      requestId: meta.requestId ?? null,
      details: event.details ?? {},
    });
  }

  async list(query: { limit: number; cursor?: string; action?: AuditAction; userId?: string }): Promise<AuditPage> {
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    if (query.cursor !== undefined && !after) throw new InvalidCursorError();
    const rows = await this.events.list({ limit: query.limit, after, action: query.action, userId: query.userId });
    const items = rows.slice(0, query.limit);
    const last = items[items.length - 1];
    return {
      items,
      nextCursor: rows.length > query.limit && last ? encodeCursor({ createdAt: last.cursorTs, id: last.id }) : null,
    };
  }
}
