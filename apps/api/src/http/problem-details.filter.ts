import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
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
  if (problem.status >= 500) {
    logger.error(
      { err: exception, requestId: request.id, code: problem.code },
      exception instanceof Error ? exception.message : 'non-error thrown',
    );
  }
  if (reply.sent || reply.raw.headersSent) return;
  const retryAfter = problem.retryAfterSeconds;
  if (typeof retryAfter === 'number') void reply.header('retry-after', String(Math.ceil(retryAfter)));
  if (problem.status === 503 && typeof retryAfter !== 'number') void reply.header('retry-after', '5');
  send(reply, problem);
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
