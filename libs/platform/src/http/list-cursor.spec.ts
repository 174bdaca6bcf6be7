import { afterCursorSql, cursorTimeSql, decodeCursor, encodeCursor } from './list-cursor';

describe('list cursors', () => {
  const cursor = { createdAt: '2026-11-21T22:00:00.123456', id: '6f1d3c9e-8a7b-4c2d-9e1f-0a1b2c3d4e5f' };

  it('round-trip', () => {
    expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
  });

  it.each([
    'not-a-cursor',
    '',
    Buffer.from('{"a":1}').toString('base64url'),
    Buffer.from(JSON.stringify(["2026-11-21' OR 1=1", cursor.id])).toString('base64url'),
    Buffer.from(JSON.stringify([cursor.createdAt, 'x'])).toString('base64url'),
  ])('reject %p', (raw) => {
    expect(decodeCursor(raw)).toBeUndefined();
  });
});

describe('keyset SQL', () => {
  it('numbers its two parameters after those already given', () => {
    const params: unknown[] = ['owner'];
    const sql = afterCursorSql({ createdAt: '2026-11-21T22:00:00.123456', id: 'abc' }, params, 's');
    expect(sql).toBe(`(s.created_at, s.id) < ($2::timestamp AT TIME ZONE 'UTC', $3::uuid)`);
    expect(params).toEqual(['owner', '2026-11-21T22:00:00.123456', 'abc']);
  });

  it('selects the cursor time in the format decodeCursor accepts', () => {
    expect(cursorTimeSql()).toBe(`to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS cursor_ts`);
  });
});
