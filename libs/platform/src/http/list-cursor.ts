/** Keyset position in a newest-first list: the row's creation time (µs, UTC) and id. */
export interface ListCursor {
  createdAt: string;
  id: string;
}

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function encodeCursor(cursor: ListCursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt, cursor.id]), 'utf8').toString('base64url');
}

/** Returns undefined for anything that is not a cursor this service issued. */
export function decodeCursor(raw: string): ListCursor | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (!Array.isArray(value) || value.length !== 2) return undefined;
    const [createdAt, id] = value as unknown[];
    if (typeof createdAt !== 'string' || typeof id !== 'string') return undefined;
    if (!TIMESTAMP.test(createdAt) || !UUID.test(id)) return undefined;
    return { createdAt, id };
  } catch {
    return undefined;
  }
}

/** Select-list item giving a row's cursor time (µs, UTC) as `cursor_ts`, the `createdAt` of its cursor. */
export function cursorTimeSql(alias?: string): string {
  const c = alias ? `${alias}.` : '';
  return `to_char(${c}created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS cursor_ts`;
}

/**
 * WHERE condition for the rows after `after` in a newest-first (created_at, id) list; pushes its
 * two parameters onto `params`.
 */
export function afterCursorSql(after: ListCursor, params: unknown[], alias?: string): string {
  const c = alias ? `${alias}.` : '';
  params.push(after.createdAt, after.id);
  return `(${c}created_at, ${c}id) < ($${params.length - 1}::timestamp AT TIME ZONE 'UTC', $${params.length}::uuid)`;
}
