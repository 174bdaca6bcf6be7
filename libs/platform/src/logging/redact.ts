import { serializeError } from './safe-error';

/** Keys (compared without case) whose values never reach a log line, at any of the first levels of an object. */
const SECRET_KEYS = new Set([
  'password',
  'token',
  'secret',
  'authorization',
  'cookie',
  'accesstoken',
  'refreshtoken',
  'apikey',
  'passphrase',
]);

export const REDACTED = '[redacted]';

/** How deep `redactSecrets` looks: `{ a: { b: { password } } }` is still caught. */
const MAX_DEPTH = 3;

/**
 * The object to log with every secret-named value replaced by `[redacted]`.
 * Returns the same object when nothing needs hiding (the common case: no copy,
 * no allocation), else a shallow copy along the changed path only; the
 * caller's object is never modified. Errors become their safe shape
 * (`serializeError`); values with `toJSON` (dates, buffers) are left to pino.
 *
 * This replaced pino's path-based `redact`, which walked its wildcard paths on
 * every line and was the largest single cost of writing an access line.
 */
export function redactSecrets<T extends object>(value: T, depth = 0): T {
  let copy: Record<string, unknown> | unknown[] | undefined;
  const source = value as Record<string, unknown>;
  for (const key in source) {
    if (!Object.prototype.hasOwnProperty.call(source, key)) continue;
    const field = source[key];
    let replacement: unknown = field;
    if (SECRET_KEYS.has(key.toLowerCase())) {
      if (field !== undefined) replacement = REDACTED;
    } else if (field instanceof Error) {
      // An error's own properties may hold a query's values (see serializeError). The top-level
      // `err` is left to the `err` serializer, which pino and pino-http both run.
      if (depth > 0 || key !== 'err') replacement = serializeError(field);
    } else if (depth < MAX_DEPTH && isWalkable(field)) {
      replacement = redactSecrets(field, depth + 1);
    }
    if (replacement !== field) {
      copy ??= Array.isArray(value) ? [...(value as unknown[])] : { ...source };
      (copy as Record<string, unknown>)[key] = replacement;
    }
  }
  return (copy as T | undefined) ?? value;
}

function isWalkable(field: unknown): field is object {
  return (
    typeof field === 'object' &&
    field !== null &&
    !(field instanceof Error) &&
    typeof (field as { toJSON?: unknown }).toJSON !== 'function'
  );
}
