import { createHash } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';

interface PgQueryable {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
}

const names = new Map<string, string>();

/** A stable statement name per SQL text (pg prepares a name once per connection). */
function nameOf(text: string): string {
  let name = names.get(text);
  if (!name) {
    name = `q_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`;
    names.set(text, name);
  }
  return name;
}

async function connectionOf(on: DataSource | EntityManager): Promise<PgQueryable> {
  const runner = 'queryRunner' in on ? on.queryRunner : undefined;
  // Inside a transaction: the transaction's own connection.
  if (runner) return (await runner.connect()) as PgQueryable;
  const source = 'driver' in on ? on : on.connection;
  return (source.driver as unknown as { master: PgQueryable }).master;
}

/**
 * Runs a hot statement as a named prepared statement: PostgreSQL parses and plans it once per
 * connection instead of on every call (TypeORM sends each query unnamed, so it is parsed and
 * planned every time). For the statements a backtest runs many times a second. Rows come as pg
 * returns them: an UPDATE … RETURNING gives its rows (not TypeORM's `[rows, count]`). Pass a
 * transaction's EntityManager to run on the transaction's connection.
 */
export async function preparedQuery<T>(on: DataSource | EntityManager, text: string, values: unknown[]): Promise<T[]> {
  const connection = await connectionOf(on);
  const result = await connection.query({ name: nameOf(text), text, values });
  return result.rows as T[];
}
