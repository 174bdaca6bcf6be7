import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, QueryFailedError } from 'typeorm';
import type { ParameterizedDefinition } from '@app/engine';
import { afterCursorSql, cursorTimeSql, preparedQuery, type ListCursor } from '@app/platform';

export interface StrategyRecord {
  id: string;
  name: string;
  description: string;
  tags: string[];
  version: number;
  definition: ParameterizedDefinition;
  deleted: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface StrategyVersionRecord {
  strategyId: string;
  version: number;
  definition: ParameterizedDefinition;
  createdAt: Date;
}

interface Row {
  id: string;
  name: string;
  description: string;
  tags: string[];
  latest_version: number;
  definition: ParameterizedDefinition;
  deleted_at: Date | null;
  created_at: Date;
  updated_at: Date;
  cursor_ts: string;
}

const SELECT = `SELECT s.id, s.name, s.description, s.tags, s.latest_version, v.definition, s.deleted_at,
    s.created_at, s.updated_at, ${cursorTimeSql('s')}
  FROM strategies s JOIN strategy_versions v ON v.strategy_id = s.id AND v.version = s.latest_version`;

const toRecord = (r: Row): StrategyRecord => ({
  id: r.id,
  name: r.name,
  description: r.description,
  tags: r.tags,
  version: r.latest_version,
  definition: r.definition,
  deleted: r.deleted_at !== null,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const FOREIGN_KEY_VIOLATION = '23503';

/** The only file with SQL for strategies. Every method takes the owner's id. */
@Injectable()
export class StrategyRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async create(
    ownerId: string,
    input: { name: string; description: string; tags: string[]; definition: ParameterizedDefinition },
  ): Promise<StrategyRecord> {
    return this.db.transaction(async (m) => {
      const [{ id }]: Array<{ id: string }> = await m.query(
        `INSERT INTO strategies (owner_id, name, description, tags) VALUES ($1, $2, $3, $4) RETURNING id`,
        [ownerId, input.name, input.description, input.tags],
      );
      await m.query(`INSERT INTO strategy_versions (strategy_id, version, definition) VALUES ($1, 1, $2)`, [
        id,
        JSON.stringify(input.definition),
      ]);
      return (await this.findIn(m, ownerId, id))!;
    });
  }

  async find(
    ownerId: string,
    id: string,
    options: { includeDeleted?: boolean } = {},
  ): Promise<StrategyRecord | undefined> {
    const found = await this.findIn(this.db.manager, ownerId, id);
    return found && (options.includeDeleted || !found.deleted) ? found : undefined;
  }

  private async findIn(m: EntityManager, ownerId: string, id: string): Promise<StrategyRecord | undefined> {
    const rows: Row[] = await m.query(`${SELECT} WHERE s.id = $1 AND s.owner_id = $2`, [id, ownerId]);
    return rows[0] && toRecord(rows[0]);
  }

  /** Live strategies, newest first; `tag` keeps those carrying it. */
  async list(
    ownerId: string,
    filter: { tag?: string },
    page: { limit: number; after?: ListCursor },
  ): Promise<{ items: StrategyRecord[]; next?: ListCursor }> {
    const params: unknown[] = [ownerId];
    let where = `s.owner_id = $1 AND s.deleted_at IS NULL`;
    if (filter.tag !== undefined) {
      params.push(filter.tag);
      where += ` AND $${params.length} = ANY (s.tags)`;
    }
    if (page.after) {
      where += ` AND ${afterCursorSql(page.after, params, 's')}`;
    }
    params.push(page.limit + 1);
    const rows: Row[] = await this.db.query(
      `${SELECT} WHERE ${where} ORDER BY s.created_at DESC, s.id DESC LIMIT $${params.length}`,
      params,
    );
    const items = rows.slice(0, page.limit);
    const last = rows.length > page.limit ? rows[page.limit - 1] : undefined;
    return { items: items.map(toRecord), next: last && { createdAt: last.cursor_ts, id: last.id } };
  }

  /**
   * Applies the changes under a lock on the strategy's row; a new definition becomes the next
   * version, unless `sameDefinition` says it equals the latest one. Undefined when not found.
   */
  async update(
    ownerId: string,
    id: string,
    changes: { name?: string; description?: string; tags?: string[]; definition?: ParameterizedDefinition },
    sameDefinition: (latest: ParameterizedDefinition, next: ParameterizedDefinition) => boolean,
  ): Promise<StrategyRecord | undefined> {
    return this.db.transaction(async (m) => {
      const locked: Array<{ latest_version: number }> = await m.query(
        `SELECT latest_version FROM strategies WHERE id = $1 AND owner_id = $2 AND deleted_at IS NULL FOR UPDATE`,
        [id, ownerId],
      );
      if (locked.length === 0) return undefined;
      let version = locked[0].latest_version;
      if (changes.definition !== undefined) {
        const [latest]: Array<{ definition: ParameterizedDefinition }> = await m.query(
          `SELECT definition FROM strategy_versions WHERE strategy_id = $1 AND version = $2`,
          [id, version],
        );
        if (!sameDefinition(latest.definition, changes.definition)) {
          version += 1;
          await m.query(`INSERT INTO strategy_versions (strategy_id, version, definition) VALUES ($1, $2, $3)`, [
            id,
            version,
            JSON.stringify(changes.definition),
          ]);
        }
      }
      await m.query(
        `UPDATE strategies SET name = COALESCE($3, name), description = COALESCE($4, description),
           tags = COALESCE($5, tags), latest_version = $6, updated_at = now()
         WHERE id = $1 AND owner_id = $2`,
        [id, ownerId, changes.name ?? null, changes.description ?? null, changes.tags ?? null, version],
      );
      return this.findIn(m, ownerId, id);
    });
  }

  /**
   * Deletes the strategy for good, or only marks it deleted when backtests reference one of its
   * versions (their foreign key refuses the delete). False when not found.
   */
  async delete(ownerId: string, id: string): Promise<'deleted' | 'soft-deleted' | false> {
    try {
      const [, affected]: [unknown, number] = await this.db.query(
        `DELETE FROM strategies WHERE id = $1 AND owner_id = $2 AND deleted_at IS NULL`,
        [id, ownerId],
      );
      return affected > 0 ? 'deleted' : false;
    } catch (error) {
      if (
        !(error instanceof QueryFailedError) ||
        (error.driverError as { code?: string }).code !== FOREIGN_KEY_VIOLATION
      ) {
        throw error;
      }
      const [, affected]: [unknown, number] = await this.db.query(
        `UPDATE strategies SET deleted_at = now(), updated_at = now()
         WHERE id = $1 AND owner_id = $2 AND deleted_at IS NULL`,
        [id, ownerId],
      );
      return affected > 0 ? 'soft-deleted' : false;
    }
  }

  /** Versions newest first, below `before` when given. Soft-deleted strategies keep theirs. */
  async versions(
    ownerId: string,
    id: string,
    page: { limit: number; before?: number },
  ): Promise<StrategyVersionRecord[]> {
    const rows: Array<{ version: number; definition: ParameterizedDefinition; created_at: Date }> = await this.db.query(
      `SELECT v.version, v.definition, v.created_at FROM strategy_versions v
         JOIN strategies s ON s.id = v.strategy_id
       WHERE v.strategy_id = $1 AND s.owner_id = $2 AND ($3::int IS NULL OR v.version < $3)
       ORDER BY v.version DESC LIMIT $4`,
      [id, ownerId, page.before ?? null, page.limit],
    );
    return rows.map((r) => ({ strategyId: id, version: r.version, definition: r.definition, createdAt: r.created_at }));
  }

  /**
   * One version for a backtest submission, with the strategy row share-locked in the caller's
   * transaction so a concurrent delete waits for it (and then only marks the strategy deleted).
   */
  async versionForUse(
    m: EntityManager,
    ownerId: string,
    id: string,
    version: number | undefined,
  ): Promise<(StrategyVersionRecord & { name: string }) | undefined> {
    const rows: Array<{ name: string; version: number; definition: ParameterizedDefinition; created_at: Date }> =
      await preparedQuery(
        m,
        `SELECT s.name, v.version, v.definition, v.created_at FROM strategies s
           JOIN strategy_versions v ON v.strategy_id = s.id AND v.version = COALESCE($3, s.latest_version)
         WHERE s.id = $1 AND s.owner_id = $2 AND s.deleted_at IS NULL
         FOR KEY SHARE OF s`,
        [id, ownerId, version ?? null],
      );
    const r = rows[0];
    return r && { strategyId: id, name: r.name, version: r.version, definition: r.definition, createdAt: r.created_at };
  }

  /** A version of a strategy, deleted or not (results keep showing what ran). */
  async version(
    ownerId: string,
    id: string,
    version: number,
  ): Promise<(StrategyVersionRecord & { name: string }) | undefined> {
    const rows: Array<{ name: string; definition: ParameterizedDefinition; created_at: Date }> = await preparedQuery(
      this.db,
      `SELECT s.name, v.definition, v.created_at FROM strategies s
         JOIN strategy_versions v ON v.strategy_id = s.id AND v.version = $3
       WHERE s.id = $1 AND s.owner_id = $2`,
      [id, ownerId, version],
    );
    const r = rows[0];
    return r && { strategyId: id, name: r.name, version, definition: r.definition, createdAt: r.created_at };
  }
}
