import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError, serializeError } from '@app/platform';
import { API_SECURITY_HEADERS } from './security-headers';
import { PROBLEM_CONTENT_TYPE, ProblemDetails, routeNotFound, toProblem } from './problem-details';

/** The one place where errors become HTTP responses (RFC 9457 problem details). */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    sendProblem(request, reply, exception, this.logger);
  }
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, exception: unknown, logger: Logger): void {
  const problem = toProblem(exception, String(request.id));
  logProblem(logger, exception, problem, String(request.id));
  if (reply.sent || reply.raw.headersSent) return;
  const retryAfter = problem.retryAfterSeconds;
  if (typeof retryAfter === 'number') void reply.header('retry-after', String(Math.ceil(retryAfter)));
  if (problem.status === 503 && typeof retryAfter !== 'number') void reply.header('retry-after', '5');
  send(reply, problem);
}

/**
 * The line an error answer adds to the request's access line. A client error
 * (4xx) adds none: the access line says it. A state the service expects and
 * names (503 AI_DISABLED, DEPENDENCY_UNAVAILABLE, an upstream's 502/504) is a
 * warning without a stack: the code says what happened, and a stack of it
 * repeated on every request only buried the real failures. Only an unexpected
 * error (500) is logged as an error with its stack. No line carries a failed
 * query's values (see serializeError).
 */
export function logProblem(
  logger: Logger,
  exception: unknown,
  problem: ProblemDetails,
  requestId: string,
  message = exception instanceof Error ? exception.message : 'non-error thrown',
): void {
  if (problem.status < 500) return;
  if (problem.status === 500) {
    logger.error({ err: exception, requestId, code: problem.code }, message);
    return;
  }
  const cause = exception instanceof AppError ? exception.cause : exception;
  // Not under `err`: pino's own serializer there would give the summary a stack field back.
  const detail = cause === undefined ? {} : { error: serializeError(cause, { stack: false }) };
  logger.warn({ ...detail, requestId, code: problem.code }, message);
}

function send(reply: FastifyReply, problem: ProblemDetails): void {
  void reply.status(problem.status).header('content-type', PROBLEM_CONTENT_TYPE).send(problem);
}

/**
 * Answers what the router refuses before any hook runs (a malformed
 * percent-encoding, a path parameter over the length limit), with the
 * headers our onRequest hook gives every other answer.
 */
export function sendFrameworkError(error: Error, request: FastifyRequest, reply: FastifyReply): void {
  void reply.headers(API_SECURITY_HEADERS).header('x-request-id', request.id);
  send(reply, toProblem(error, String(request.id)));
}

/** Answers a request no route serves, without an exception on the way (see ApiFastifyAdapter). */
export function sendRouteNotFound(request: FastifyRequest, reply: FastifyReply): void {
  send(reply, routeNotFound(String(request.id)));
}
