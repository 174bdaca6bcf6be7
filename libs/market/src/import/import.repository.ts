import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { afterCursorSql, cursorTimeSql, ListCursor } from '@app/platform';
import type { ImportFormat, ImportKind } from './formats';
import type { ImportGap, ImportTally, Rejection } from './row-check';

export type ImportStatus = 'queued' | 'running' | 'completed' | 'failed';
export type ImportSource = 'upload' | 'cli' | 'demo';

export interface ImportRecord {
  id: string;
  createdBy: string | null;
  source: ImportSource;
  exchange: string;
  symbol: string;
  kind: ImportKind;
  timeframe: string | null;
  format: ImportFormat;
  fileName: string | null;
  fileBytes: number;
  status: ImportStatus;
  progress: number;
  rowsRead: number;
  inserted: number;
  duplicates: number;
  rejected: number;
  gaps: number;
  missingBars: number;
  firstTime: Date | null;
  lastTime: Date | null;
  rejections: Rejection[];
  gapList: ImportGap[];
  error: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  cursorTs: string;
}

interface Row {
  id: string;
  created_by: string | null;
  source: ImportSource;
  exchange: string;
  symbol: string;
  kind: ImportKind;
  timeframe: string | null;
  format: ImportFormat;
  file_name: string | null;
  file_bytes: string;
  status: ImportStatus;
  progress: number;
  rows_read: number;
  inserted: number;
  duplicates: number;
  rejected: number;
  gaps: number;
  missing_bars: string;
  first_time: Date | null;
  last_time: Date | null;
  rejections: Rejection[];
  gap_list: ImportGap[];
  error: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  cursor_ts: string;
}

const COLUMNS = `*, ${cursorTimeSql()}`;

const toRecord = (r: Row): ImportRecord => ({
  id: r.id,
  createdBy: r.created_by,
  source: r.source,
  exchange: r.exchange,
  symbol: r.symbol,
  kind: r.kind,
  timeframe: r.timeframe,
  format: r.format,
  fileName: r.file_name,
  fileBytes: Number(r.file_bytes),
  status: r.status,
  progress: r.progress,
  rowsRead: r.rows_read,
  inserted: r.inserted,
  duplicates: r.duplicates,
  rejected: r.rejected,
  gaps: r.gaps,
  missingBars: Number(r.missing_bars),
  firstTime: r.first_time,
  lastTime: r.last_time,
  rejections: r.rejections,
  gapList: r.gap_list,
  error: r.error,
  createdAt: r.created_at,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
  cursorTs: r.cursor_ts,
});

export interface NewImport {
  createdBy: string | null;
  source: ImportSource;
  exchange: string;
  symbol: string;
  kind: ImportKind;
  timeframe: string | null;
  format: ImportFormat;
  fileName: string | null;
}

/** Import jobs and the uploaded bytes they wait on. */
@Injectable()
export class ImportRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async create(spec: NewImport, manager: EntityManager = this.dataSource.manager): Promise<string> {
    const id = randomUUID();
    await manager.query(
      `INSERT INTO market_imports (id, created_by, source, exchange, symbol, kind, timeframe, format, file_name, status)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'queued')`,
      [
        id,
        spec.createdBy,
        spec.source,
        spec.exchange,
        spec.symbol,
        spec.kind,
        spec.timeframe,
        spec.format,
        spec.fileName,
      ],
    );
    return id;
  }

  async addChunk(manager: EntityManager, id: string, seq: number, data: Buffer): Promise<void> {
    await manager.query(`INSERT INTO market_import_chunks (import_id, seq, data) VALUES ($1, $2, $3)`, [id, seq, data]);
    await manager.query(`UPDATE market_imports SET file_bytes = file_bytes + $2 WHERE id = $1`, [id, data.length]);
  }

  /** The uploaded file, chunk by chunk (one row in memory at a time). */
  async *chunks(id: string): AsyncGenerator<Buffer> {
    for (let seq = 0; ; seq++) {
      const rows: Array<{ data: Buffer }> = await this.dataSource.query(
        `SELECT data FROM market_import_chunks WHERE import_id = $1 AND seq = $2`,
        [id, seq],
      );
      if (rows.length === 0) return;
      yield rows[0].data;
    }
  }

  async get(id: string): Promise<ImportRecord | null> {
    const rows: Row[] = await this.dataSource.query(`SELECT ${COLUMNS} FROM market_imports WHERE id = $1`, [id]);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async list(query: { limit: number; after?: ListCursor }): Promise<ImportRecord[]> {
    const params: unknown[] = [query.limit + 1];
    let where = '';
    if (query.after) {
      where = `WHERE ${afterCursorSql(query.after, params)}`;
    }
    const rows: Row[] = await this.dataSource.query(
      `SELECT ${COLUMNS} FROM market_imports ${where} ORDER BY created_at DESC, id DESC LIMIT $1`,
      params,
    );
    return rows.map(toRecord);
  }

  /** Marks the import running; false when it already finished (a retried job after the commit). */
  async start(id: string): Promise<boolean> {
    const rows: Array<{ id: string }> = await this.dataSource.query(
      `UPDATE market_imports SET status = 'running', started_at = COALESCE(started_at, now()), progress = 0, error = NULL
        WHERE id = $1 AND status IN ('queued', 'running', 'failed') RETURNING id`,
      [id],
    );
    return (Array.isArray(rows[0]) ? (rows[0] as unknown[]) : rows).length > 0;
  }

  async progress(id: string, progress: number): Promise<void> {
    await this.dataSource.query(`UPDATE market_imports SET progress = $2 WHERE id = $1 AND status = 'running'`, [
      id,
      progress,
    ]);
  }

  /** Stores the summary and drops the uploaded bytes, inside the import's own transaction. */
  async complete(
    manager: EntityManager,
    id: string,
    outcome: { tally: ImportTally; inserted: number; duplicates: number; timeframe: string | null },
  ): Promise<void> {
    const t = outcome.tally;
    await manager.query(
      `UPDATE market_imports SET status = 'completed', progress = 1, finished_at = now(), error = NULL,
         rows_read = $2, inserted = $3, duplicates = $4, rejected = $5, gaps = $6, missing_bars = $7,
         first_time = to_timestamp($8::numeric / 1000), last_time = to_timestamp($9::numeric / 1000),
         rejections = $10, gap_list = $11, timeframe = COALESCE($12, timeframe)
       WHERE id = $1`,
      [
        id,
        t.rowsRead,
        outcome.inserted,
        outcome.duplicates,
        t.rejected,
        t.gaps,
        t.missingBars,
        t.firstTime,
        t.lastTime,
        JSON.stringify(t.rejections),
        JSON.stringify(t.gapList),
        outcome.timeframe,
      ],
    );
    await manager.query(`DELETE FROM market_import_chunks WHERE import_id = $1`, [id]);
  }

  /** A failed attempt: `final` when no retry follows (the uploaded bytes are then dropped). */
  async fail(id: string, error: string, final: boolean): Promise<void> {
    await this.dataSource.query(
      `UPDATE market_imports SET status = $3, error = $2, finished_at = CASE WHEN $4 THEN now() ELSE NULL END
        WHERE id = $1 AND status <> 'completed'`,
      [id, error.slice(0, 2000), final ? 'failed' : 'queued', final],
    );
    if (final) await this.dataSource.query(`DELETE FROM market_import_chunks WHERE import_id = $1`, [id]);
  }
}
