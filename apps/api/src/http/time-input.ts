import { parseTime } from '@app/engine';

/** ISO 8601 or epoch milliseconds → epoch ms; NaN (rejected by @IsInt) when unreadable. */
export const toEpochMs = ({ value }: { value: unknown }) => {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' && typeof value !== 'number') return NaN;
  const text = String(value).trim();
  return /^\d+$/.test(text) ? Number(text) : parseTime(text);
};

export const TIME_DOC = 'ISO 8601 (UTC when no offset) or epoch milliseconds';
