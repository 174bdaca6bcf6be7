import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { API_SECURITY_HEADERS, securityHeaders } from './security-headers';
import { RequestLogContext, httpRequestDuration, httpRequestsInFlight, inFlight } from '@app/platform';

/** Probes and scrapes are polled every few seconds; an access line each would drown the log. */
const UNLOGGED_ROUTES = new Set(['/health', '/health/ready', '/metrics']);

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:@-]{1,128}$/;

/** X-Request-ID from the client when it is sane, else a new UUID; also put on the raw request for the logger. */
export function genRequestId(req: IncomingMessage): string {
  const header = req.headers['x-request-id'];
  const id = typeof header === 'string' && SAFE_REQUEST_ID.test(header) ? header : randomUUID();
  (req as IncomingMessage & RequestLogContext).id = id;
  return id;
}

/** Requests the in-flight gauge has counted up and not yet down. */
const counted = new WeakSet<object>();

function countDown(request: object): void {
  if (counted.delete(request)) inFlight.count--;
}

/**
 * Takes the response over from Fastify (server-sent events). A hijacked reply
 * never reaches onResponse, so the in-flight gauge counts it down when its
 * connection closes (or at once, if the client is already gone).
 */
export function hijackReply(reply: FastifyReply): void {
  reply.hijack();
  const request = reply.request;
  if (reply.raw.destroyed) countDown(request);
  else reply.raw.once('close', () => countDown(request));
}

const ROUTES = new WeakMap<FastifyInstance, Array<{ method: string; url: string }>>();

/** Every route registered on this Fastify instance (for the OpenAPI completeness test). */
export function servedRoutes(fastify: FastifyInstance): Array<{ method: string; url: string }> {
  return ROUTES.get(fastify) ?? [];
}

/**
 * Echoes the request id, records the route template, measures every request,
 * and, given `bindLogContext`, runs each handler inside the request's logging
 * context (after the body is read, so the context survives body parsing).
 */
export function registerHttpHooks(
  fastify: FastifyInstance,
  bindLogContext?: (requestId: string, next: () => void) => void,
): void {
  const routes: Array<{ method: string; url: string }> = [];
  ROUTES.set(fastify, routes);
  fastify.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method: String(method), url: route.url });
  });
  const duration = httpRequestDuration();
  httpRequestsInFlight();
  const docsHeaders = securityHeaders();
  const children = new Map<string, { observe(value: number): void }>();
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.headers(request.url.startsWith('/docs') ? docsHeaders : API_SECURITY_HEADERS);
    void reply.header('x-request-id', request.id);
    (request.raw as IncomingMessage & RequestLogContext).routeTemplate = request.routeOptions.url;
    inFlight.count++;
    counted.add(request);
    done();
  });
  if (bindLogContext) fastify.addHook('preHandler', (request, _reply, done) => bindLogContext(request.id, done));
  fastify.addHook('onResponse', (request, reply, done) => {
    // A hook before ours may answer (CORS preflight): only count down what we counted up.
    countDown(request);
    const route = request.routeOptions.url;
    const status = reply.statusCode;
    // One histogram child per (method, route, status), looked up once: labelling by
    // object on every observation hashes the labels each time.
    const key = `${request.method} ${route ?? ''} ${status}`;
    let child = children.get(key);
    if (!child) {
      child = duration.labels({ method: request.method, route: route ?? 'unmatched', status_code: String(status) });
      children.set(key, child);
    }
    child.observe(reply.elapsedTime / 1000);
    if (!UNLOGGED_ROUTES.has(route ?? '')) {
      const line = {
        method: request.method,
        url: request.url,
        route,
        status,
        durationMs: Math.round(reply.elapsedTime * 100) / 100,
        userId: (request.raw as IncomingMessage & RequestLogContext).userId,
      };
      if (status >= 500) request.log.error(line, 'request completed');
      else if (status >= 400) request.log.warn(line, 'request completed');
      else request.log.info(line, 'request completed');
    }
    done();
  });
}
