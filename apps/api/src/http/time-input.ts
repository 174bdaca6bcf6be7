import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { parseTime } from '@app/engine';
import { MAX_TIME_MS, TIME_RANGE_DOC } from '@app/platform';

/** ISO 8601 or epoch milliseconds → epoch ms; NaN (rejected by @IsInt) when unreadable. */
export const toEpochMs = ({ value }: { value: unknown }) => {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' && typeof value !== 'number') return NaN;
  const text = String(value).trim();
  return /^\d+$/.test(text) ? Number(text) : parseTime(text);
};

export const TIME_DOC = 'ISO 8601 (UTC when no offset) or epoch milliseconds';

/**
 * The one rule for a time in a request: ISO 8601 or epoch ms, from `min` up
 * to the end of year 9999 (an epoch of 20 digits reached PostgreSQL as a
 * timestamp out of range, a 500).
 */
export function IsTimeInput(field: string, min = 0): PropertyDecorator {
  const message = `${field} must be ${TIME_DOC}, ${TIME_RANGE_DOC}`;
  return applyDecorators(
    Transform(toEpochMs),
    IsInt({ message }),
    Min(min, { message }),
    Max(MAX_TIME_MS, { message }),
  );
}
