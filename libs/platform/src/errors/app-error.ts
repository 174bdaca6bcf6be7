/**
 * What kind of failure an error is. Libraries say what went wrong; the API's
 * exception filter alone decides the HTTP status for each kind, and the worker
 * decides whether to retry.
 */
export type ErrorKind =
  | 'invalid'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'unprocessable'
  | 'rate_limited'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'unavailable'
  /** An upstream service (e.g. the AI model API) answered with an error: 502. */
  | 'bad_gateway'
  /** An upstream service did not answer in time: 504. */
  | 'gateway_timeout'
  | 'internal';

export interface FieldError {
  /** JSON path or field name, e.g. `initialCapital` or `definition.entry.long`. */
  field: string;
  message: string;
}

/** Base of every error with a stable machine code (`STRATEGY_NOT_FOUND`, `BACKTEST_TIER_LIMIT`). */
export class AppError extends Error {
  constructor(
    readonly code: string,
    readonly kind: ErrorKind,
    message: string,
    /** Extra members for the problem-details body (e.g. `allowed`, `retryAfterSeconds`). */
    readonly extensions: Record<string, unknown> = {},
    readonly errors: FieldError[] = [],
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationFailedError extends AppError {
  constructor(errors: FieldError[], message = 'The request is not valid.') {
    super('VALIDATION_FAILED', 'invalid', message, {}, errors);
  }
}

export class DependencyUnavailableError extends AppError {
  constructor(dependency: string, cause?: unknown) {
    super('DEPENDENCY_UNAVAILABLE', 'unavailable', `${dependency} is unavailable; try again shortly.`, {
      dependency,
    });
    if (cause !== undefined) this.cause = cause;
  }
}
