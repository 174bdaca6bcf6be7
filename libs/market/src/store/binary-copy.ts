import type { PoolClient } from 'pg';
import { to as copyTo } from 'pg-copy-streams';

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

/** A SQL string literal; for values that cannot be bound as parameters (COPY takes none). */
export function sqlLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * Runs `COPY (query) TO STDOUT (FORMAT binary)` and calls `onRow` with each row's raw field
 * bytes (null for SQL NULL): bytea columns arrive as they are stored, with no hex text to parse.
 */
export async function copyRows(
  client: PoolClient,
  query: string,
  onRow: (fields: Array<Buffer | null>) => void,
): Promise<void> {
  let headerRead = false;
  let pending: Buffer | null = null;
  let ended = false;
  const stream = client.query(copyTo(`COPY (${query}) TO STDOUT (FORMAT binary)`));
  for await (const piece of stream as AsyncIterable<Buffer>) {
    const buf: Buffer = pending ? Buffer.concat([pending, piece]) : piece;
    let at = 0;
    if (!headerRead) {
      if (buf.length < 19) {
        pending = buf;
        continue;
      }
      if (!buf.subarray(0, 11).equals(SIGNATURE)) throw new Error('binary COPY: unexpected signature');
      at = 19 + buf.readUInt32BE(15);
      headerRead = true;
    }
    for (;;) {
      if (buf.length - at < 2) break;
      const count = buf.readInt16BE(at);
      if (count === -1) {
        ended = true;
        at += 2;
        break;
      }
      // A whole tuple must be in the buffer before it is handed out.
      let p = at + 2;
      const fields: Array<Buffer | null> = [];
      let complete = true;
      for (let c = 0; c < count; c++) {
        if (buf.length - p < 4) {
          complete = false;
          break;
        }
        const length = buf.readInt32BE(p);
        p += 4;
        if (length === -1) {
          fields.push(null);
          continue;
        }
        if (buf.length - p < length) {
          complete = false;
          break;
        }
        fields.push(buf.subarray(p, p + length));
        p += length;
      }
      if (!complete) break;
      onRow(fields);
      at = p;
    }
    pending = at < buf.length ? buf.subarray(at) : null;
  }
  if (!ended && headerRead) throw new Error('binary COPY: stream ended without its trailer');
}
