import { HttpException, HttpStatus } from '@nestjs/common';
import { AppError, ErrorKind, FieldError, problemType } from '@app/platform';

export { PROBLEM_CONTENT_TYPE, problemType } from '@app/platform';

/** RFC 9457 problem details, as every error response of the API is shaped. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  requestId: string;
  instance?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

const STATUS_BY_KIND: Record<ErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unprocessable: 422,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
  bad_gateway: 502,
  gateway_timeout: 504,
};

const CODE_BY_STATUS: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  408: 'REQUEST_TIMEOUT',
  409: 'CONFLICT',
  411: 'LENGTH_REQUIRED',
  413: 'PAYLOAD_TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'UNPROCESSABLE',
  429: 'RATE_LIMITED',
  431: 'HEADERS_TOO_LARGE',
  500: 'INTERNAL_ERROR',
  502: 'BAD_GATEWAY',
  503: 'SERVICE_UNAVAILABLE',
  504: 'GATEWAY_TIMEOUT',
};

/** Fastify's own error codes that mean "the client sent something wrong". */
const FASTIFY_CODES: Record<string, { status: number; code: string; detail: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: {
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
    detail: 'The request body is larger than allowed.',
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    detail: 'The Content-Type of the request is not supported; send application/json.',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'MALFORMED_BODY', detail: 'The JSON body is empty.' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'MALFORMED_BODY', detail: 'The body is not valid JSON.' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    status: 400,
    code: 'MALFORMED_BODY',
    detail: 'The Content-Length does not match the body.',
  },
  FST_ERR_CTP_INVALID_TYPE: { status: 400, code: 'BAD_REQUEST', detail: 'The Content-Type header is not valid.' },
  // The router's own: the path is never echoed, it is what the client got wrong.
  FST_ERR_BAD_URL: { status: 400, code: 'MALFORMED_URL', detail: 'The URL path has an invalid percent-encoding.' },
  FST_ERR_MAX_PARAM_LENGTH: {
    status: 414,
    code: 'URI_TOO_LONG',
    detail: 'A path parameter is longer than 200 characters.',
  },
};

/** Connection-level failures of PostgreSQL or Redis: the client should retry later. */
const UNAVAILABLE_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE']);
const UNAVAILABLE_PG_CODES = new Set(['57P01', '57P02', '57P03', '53300', '08000', '08001', '08003', '08006', '57014']);
const UNAVAILABLE_MESSAGES = [
  /Connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /did not answer within/i,
  /Connection is closed/i,
  /Stream isn't writeable/i,
  /getaddrinfo/i,
];

export function isDependencyFailure(err: unknown, depth = 0): boolean {
  // Duck-typed: errors from Node's net module may come from another realm (vm, workers).
  if (typeof err !== 'object' || err === null || depth > 5) return false;
  const e = err as { code?: string; message?: string; cause?: unknown; driverError?: { code?: string } };
  if (e.code && (UNAVAILABLE_ERRNOS.has(e.code) || UNAVAILABLE_PG_CODES.has(e.code))) return true;
  if (e.driverError?.code && UNAVAILABLE_PG_CODES.has(e.driverError.code)) return true;
  if (typeof e.message === 'string' && UNAVAILABLE_MESSAGES.some((re) => re.test(e.message!))) return true;
  return e.cause !== undefined && e.cause !== err && isDependencyFailure(e.cause, depth + 1);
}

function titleFor(status: number): string {
  return (HttpStatus[status] ?? 'Error')
    .toString()
    .toLowerCase()
    .replace(/_/g, ' ')
    .replace(/^\w/, (c) => c.toUpperCase());
}

function build(
  status: number,
  code: string,
  detail: string,
  requestId: string,
  extra: Record<string, unknown> = {},
): ProblemDetails {
  // Extensions first: one named like a standard member (a backtest's `status`) must not replace it.
  return { ...extra, type: problemType(code), title: titleFor(status), status, detail, code, requestId };
}

function fastifyProblem(err: unknown, requestId: string): ProblemDetails | undefined {
  const fastify = err as { code?: string; statusCode?: number; message?: string } | undefined;
  if (fastify?.code && FASTIFY_CODES[fastify.code]) {
    const known = FASTIFY_CODES[fastify.code];
    return build(known.status, known.code, known.detail, requestId);
  }
  if (err instanceof SyntaxError && fastify?.statusCode === 400) {
    return build(400, 'MALFORMED_BODY', 'The body is not valid JSON.', requestId);
  }
  if (typeof fastify?.statusCode === 'number' && fastify.statusCode >= 400 && fastify.statusCode < 500) {
    const status = fastify.statusCode;
    return build(status, CODE_BY_STATUS[status] ?? 'BAD_REQUEST', titleFor(status), requestId);
  }
  return undefined;
}

/** The answer to a method and path no route serves. */
export function routeNotFound(requestId: string): ProblemDetails {
  return build(404, 'ROUTE_NOT_FOUND', 'No route matches this method and path.', requestId);
}

/** The answer to a request that arrives while the API drains for shutdown. */
export function shuttingDown(requestId: string): ProblemDetails {
  return build(503, 'SHUTTING_DOWN', 'This instance is shutting down; retry the request.', requestId, {
    retryAfterSeconds: 1,
  });
}

/**
 * Turns anything thrown into problem details. Only AppError messages and known
 * client errors are shown; anything else is a 500 with a generic message.
 */
export function toProblem(err: unknown, requestId: string): ProblemDetails {
  if (err instanceof AppError) {
    const status = STATUS_BY_KIND[err.kind];
    const extra: Record<string, unknown> = { ...err.extensions };
    if (err.errors.length > 0) extra.errors = err.errors;
    return build(status, err.code, err.message, requestId, extra);
  }
  if (err instanceof HttpException) {
    // Fastify's own client errors (body parsing, limits) arrive wrapped by Nest.
    if (err.cause && err.cause !== err && fastifyProblem(err.cause, requestId)) {
      return fastifyProblem(err.cause, requestId)!;
    }
    const status = err.getStatus();
    const code = CODE_BY_STATUS[status] ?? (status >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST');
    if (status === 404) return routeNotFound(requestId);
    const body = err.getResponse();
    const message = typeof body === 'object' && body !== null && 'message' in body ? body.message : body;
    const detail = status >= 500 ? 'The service could not handle the request.' : String(message);
    return build(status, code, detail, requestId);
  }
  const fromFastify = fastifyProblem(err, requestId);
  if (fromFastify) return fromFastify;
  if (isDependencyFailure(err)) {
    return build(
      503,
      'DEPENDENCY_UNAVAILABLE',
      'A service this request needs is unavailable; try again shortly.',
      requestId,
    );
  }
  return build(
    500,
    'INTERNAL_ERROR',
    'An unexpected error occurred. Quote the requestId when reporting it.',
    requestId,
  );
}
