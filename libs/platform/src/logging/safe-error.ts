/**
 * What a log line may say about an error. A failed query's error carries the
 * statement's values (`parameters`, TypeORM) and the server's `detail`
 * ("Key (key_hash)=(…) already exists"): sealed credentials, key hashes,
 * password hashes. Only its shape goes out: class, message, SQLSTATE, the
 * statement text with literals masked, the stack when asked for, and the
 * same for its cause.
 */
export interface SafeError {
  type: string;
  message: string;
  code?: string;
  /** The statement as written (placeholders, quoted literals masked), never its values. */
  query?: string;
  stack?: string;
  cause?: SafeError | string;
}

const MAX_QUERY_CHARS = 500;
const MAX_DEPTH = 3;

/**
 * An error, or an error-like object (pino-http first runs pino's own `err`
 * serializer, which copies every property, and hands us its copy), reduced to
 * an allowlist: nothing unnamed here can carry a value out.
 */
export function serializeError(err: unknown, options: { stack?: boolean } = {}, depth = 0): SafeError | string {
  if (!isErrorLike(err)) return typeof err === 'string' ? err : Object.prototype.toString.call(err);
  const e = err;
  const named = err instanceof Error ? err.name || err.constructor.name : e.type;
  const out: SafeError = { type: typeof named === 'string' && named ? named : 'Error', message: e.message };
  const code = typeof e.code === 'string' ? e.code : e.driverError?.code;
  if (typeof code === 'string') out.code = code;
  if (typeof e.query === 'string') out.query = queryShape(e.query);
  if (options.stack !== false && typeof e.stack === 'string' && e.stack) out.stack = e.stack;
  if (e.cause !== undefined && e.cause !== err && depth < MAX_DEPTH) {
    out.cause = serializeError(e.cause, options, depth + 1);
  }
  return out;
}

interface ErrorLike {
  type?: unknown;
  message: string;
  code?: unknown;
  query?: unknown;
  stack?: unknown;
  cause?: unknown;
  driverError?: { code?: unknown };
}

function isErrorLike(value: unknown): value is ErrorLike {
  return typeof value === 'object' && value !== null && typeof (value as ErrorLike).message === 'string';
}

/** The statement with quoted literals masked and its length bounded; `$1` placeholders stay. */
export function queryShape(query: string): string {
  const masked = query
    .replace(/'(?:[^']|'')*'/g, "'…'")
    .replace(/\s+/g, ' ')
    .trim();
  return masked.length > MAX_QUERY_CHARS ? `${masked.slice(0, MAX_QUERY_CHARS)}…` : masked;
}

/** pino's serializer for `err`: errors (and pino's copies of them) become their safe shape. */
export function errSerializer(value: unknown): unknown {
  return isErrorLike(value) ? serializeError(value) : value;
}
