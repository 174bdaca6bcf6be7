import { Injectable } from '@nestjs/common';
import { AuditService, RequestMeta } from './audit.service';
import { AuthenticationService, Principal } from './authentication.service';
import { InvalidCursorError, OwnAccountChangeError, UserNotFoundError } from './auth.errors';
import { decodeCursor, encodeCursor } from '@app/platform';
import { SessionStateService } from './session-state.service';
import { SessionRepository } from './session.repository';
import { Role, Tier } from './user.entity';
import { UserRecord, UserRepository } from './user.repository';

export interface UserPage {
  items: UserRecord[];
  nextCursor: string | null;
}

/** What admins do with accounts: list them, change tier and role, disable them. */
@Injectable()
export class UserAdminService {
  constructor(
    private readonly users: UserRepository,
    private readonly sessions: SessionRepository,
    private readonly authentication: AuthenticationService,
    private readonly audit: AuditService,
    private readonly sessionStates: SessionStateService,
  ) {}

  async list(query: { limit: number; cursor?: string; tier?: Tier; role?: Role }): Promise<UserPage> {
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    if (query.cursor !== undefined && !after) throw new InvalidCursorError();
    const rows = await this.users.list({ limit: query.limit, after, tier: query.tier, role: query.role });
    const items = rows.slice(0, query.limit);
    const last = items[items.length - 1];
    const nextCursor =
      rows.length > query.limit && last ? encodeCursor({ createdAt: last.cursorTs, id: last.id }) : null;
    return { items, nextCursor };
  }

  async update(
    admin: Principal,
    id: string,
    patch: { tier?: Tier; role?: Role; disabled?: boolean },
    meta: RequestMeta,
  ): Promise<UserRecord> {
    if (id === admin.id && ((patch.role !== undefined && patch.role !== 'admin') || patch.disabled === true)) {
      throw new OwnAccountChangeError();
    }
    const user = await this.users.update(id, patch);
    if (!user) throw new UserNotFoundError();
    if (user.disabled) await this.sessionStates.revoked(await this.sessions.revokeAllOfUser(user.id, 'disabled'));
    this.authentication.forget(user.id);
    const changes = { tier: patch.tier, role: patch.role, disabled: patch.disabled };
    await this.audit.record('user.updated', meta, { actorId: admin.id, subjectId: user.id, details: { changes } });
    return user;
  }
}
