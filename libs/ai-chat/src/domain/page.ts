import { decodeCursor, encodeCursor, ListCursor, ValidationFailedError } from '@app/platform';

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** The keyset position a `cursor` query parameter names; 400 when it is not one of ours. */
export function afterCursor(cursor: string | undefined): ListCursor | undefined {
  if (cursor === undefined) return undefined;
  const after = decodeCursor(cursor);
  if (!after) throw new ValidationFailedError([{ field: 'cursor', message: 'is not a cursor of this list' }]);
  return after;
}

/** A page of `limit` rows from `limit + 1` fetched, and the cursor of the next page. */
export function toPage<T extends { id: string; cursorTs: string }>(rows: T[], limit: number): Page<T> {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return {
    items,
    nextCursor: rows.length > limit && last ? encodeCursor({ createdAt: last.cursorTs, id: last.id }) : null,
  };
}
