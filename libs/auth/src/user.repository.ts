import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { afterCursorSql, cursorTimeSql, ListCursor } from '@app/platform';
import { Role, Tier, UserEntity } from './user.entity';

export interface UserRecord {
  id: string;
  email: string;
  role: Role;
  tier: Tier;
  disabled: boolean;
  createdAt: Date;
  updatedAt: Date;
  /** Creation time in µs precision (UTC), for keyset cursors. */
  cursorTs: string;
}

interface UserRow {
  id: string;
  email: string;
  role: Role;
  tier: Tier;
  disabled: boolean;
  created_at: Date;
  updated_at: Date;
  cursor_ts: string;
}

const COLUMNS = `id, email, role, tier, disabled, created_at, updated_at,
  ${cursorTimeSql()}`;

const toRecord = (r: UserRow): UserRecord => ({
  id: r.id,
  email: r.email,
  role: r.role,
  tier: r.tier,
  disabled: r.disabled,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  cursorTs: r.cursor_ts,
});

const UNIQUE_VIOLATION = '23505';

function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; driverError?: { code?: string } };
  return e.code === UNIQUE_VIOLATION || e.driverError?.code === UNIQUE_VIOLATION;
}

@Injectable()
export class UserRepository {
  constructor(@InjectRepository(UserEntity) private readonly users: Repository<UserEntity>) {}

  /** Inserts a user; undefined when the email is taken (case-insensitively). */
  async create(input: {
    email: string;
    passwordHash: string;
    role: Role;
    tier: Tier;
  }): Promise<UserRecord | undefined> {
    try {
      const rows: UserRow[] = await this.users.query(
        `INSERT INTO users (email, password_hash, role, tier) VALUES ($1, $2, $3, $4) RETURNING ${COLUMNS}`,
        [input.email, input.passwordHash, input.role, input.tier],
      );
      return toRecord(rows[0]);
    } catch (err) {
      if (isUniqueViolation(err)) return undefined;
      throw err;
    }
  }

  /**
   * Creates the admin only while no admin exists (and the email is free), in one
   * statement so that two instances starting together create at most one.
   */
  async createAdminIfNone(email: string, passwordHash: string): Promise<'created' | 'exists' | 'email_taken'> {
    const rows: Array<{ id: string }> = await this.users.query(
      `INSERT INTO users (email, password_hash, role, tier)
       SELECT $1, $2, 'admin', 'elite'
       WHERE NOT EXISTS (SELECT 1 FROM users WHERE role = 'admin')
       ON CONFLICT DO NOTHING
       RETURNING id`,
      [email, passwordHash],
    );
    if (rows.length > 0) return 'created';
    return (await this.adminExists()) ? 'exists' : 'email_taken';
  }

  async adminExists(): Promise<boolean> {
    const rows: unknown[] = await this.users.query(`SELECT 1 FROM users WHERE role = 'admin' LIMIT 1`);
    return rows.length > 0;
  }

  async findById(id: string): Promise<UserRecord | undefined> {
    const rows: UserRow[] = await this.users.query(`SELECT ${COLUMNS} FROM users WHERE id = $1`, [id]);
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  async findCredentials(email: string): Promise<(UserRecord & { passwordHash: string }) | undefined> {
    const rows: Array<UserRow & { password_hash: string }> = await this.users.query(
      `SELECT ${COLUMNS}, password_hash FROM users WHERE lower(email) = lower($1)`,
      [email],
    );
    return rows[0] ? { ...toRecord(rows[0]), passwordHash: rows[0].password_hash } : undefined;
  }

  async findPasswordHash(id: string): Promise<string | undefined> {
    const rows: Array<{ password_hash: string }> = await this.users.query(
      `SELECT password_hash FROM users WHERE id = $1`,
      [id],
    );
    return rows[0]?.password_hash;
  }

  async updatePassword(id: string, passwordHash: string): Promise<void> {
    await this.users.query(`UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1`, [id, passwordHash]);
  }

  async update(id: string, patch: { role?: Role; tier?: Tier; disabled?: boolean }): Promise<UserRecord | undefined> {
    // UPDATE answers [rows, affected] through TypeORM's query().
    const [rows]: [UserRow[], number] = await this.users.query(
      `UPDATE users SET
         role = COALESCE($2, role),
         tier = COALESCE($3, tier),
         disabled = COALESCE($4, disabled),
         updated_at = now()
       WHERE id = $1
       RETURNING ${COLUMNS}`,
      [id, patch.role ?? null, patch.tier ?? null, patch.disabled ?? null],
    );
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  /** Newest first; `limit + 1` rows are read so the caller knows whether a next page exists. */
  async list(query: { limit: number; after?: ListCursor; tier?: Tier; role?: Role }): Promise<UserRecord[]> {
    const params: unknown[] = [];
    const where: string[] = [];
    if (query.tier) {
      params.push(query.tier);
      where.push(`tier = $${params.length}`);
    }
    if (query.role) {
      params.push(query.role);
      where.push(`role = $${params.length}`);
    }
    if (query.after) {
      where.push(afterCursorSql(query.after, params));
    }
    params.push(query.limit + 1);
    const rows: UserRow[] = await this.users.query(
      `SELECT ${COLUMNS} FROM users ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY created_at DESC, id DESC LIMIT $${params.length}`,
      params,
    );
    return rows.map(toRecord);
  }
}
