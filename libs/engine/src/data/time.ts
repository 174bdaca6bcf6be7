const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * Epoch milliseconds from a time cell: epoch seconds or milliseconds (numbers below 1e11 are
 * seconds, i.e. before 5138 AD in seconds or before 1973 in milliseconds), or an ISO 8601
 * date/date-time, read as UTC when it carries no offset. NaN when unreadable.
 */
export function parseTime(cell: string | number): number {
  if (typeof cell === 'number') return Math.abs(cell) < 1e11 ? cell * 1000 : cell;
  const text = cell.trim();
  if (/^-?\d+(\.\d+)?$/.test(text)) return parseTime(Number(text));
  const m = ISO.exec(text);
  if (!m) return NaN;
  const ms = m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0;
  let t = Date.UTC(
    Number(m[1]),
    Number(m[2]) - 1,
    Number(m[3]),
    Number(m[4] ?? 0),
    Number(m[5] ?? 0),
    Number(m[6] ?? 0),
    ms,
  );
  const zone = m[8];
  if (zone && zone.toUpperCase() !== 'Z') {
    const digits = zone.replace(':', '');
    const sign = digits[0] === '-' ? -1 : 1;
    const hours = Number(digits.slice(1, 3));
    const minutes = Number(digits.slice(3, 5) || '0');
    t -= sign * (hours * 60 + minutes) * 60_000;
  }
  return t;
}
