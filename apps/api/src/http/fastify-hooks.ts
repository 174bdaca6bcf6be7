import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { API_SECURITY_HEADERS, securityHeaders } from './security-headers';
import { PROBLEM_CONTENT_TYPE, shuttingDown } from './problem-details';
import { HistogramSeries, RequestLogContext, httpRequestDuration, httpRequestsInFlight, inFlight } from '@app/platform';

/** Probes and scrapes are polled every few seconds; an access line each would drown the log. */
const UNLOGGED_ROUTES = new Set(['/health', '/health/ready', '/metrics']);

/** The status recorded for a request whose client closed the connection before the answer. */
const CLIENT_CLOSED_REQUEST = 499;

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:@-]{1,128}$/;

/** X-Request-ID from the client when it is sane, else a new UUID; also put on the raw request for the logger. */
export function genRequestId(req: IncomingMessage): string {
  const header = req.headers['x-request-id'];
  const id = typeof header === 'string' && SAFE_REQUEST_ID.test(header) ? header : randomUUID();
  (req as IncomingMessage & RequestLogContext).id = id;
  return id;
}

/**
 * The replies a connection has started and not yet finished: one, or more with
 * pipelining. An array kept for the connection's life, not a Set: a Set hashes
 * each new reply object, which costs V8 an identity hash on every request.
 */
const OPEN_REPLIES = Symbol('openReplies');
type TrackedSocket = Socket & { [OPEN_REPLIES]?: FastifyReply[] };

/**
 * Removes a reply from its connection's open replies; false when it was never
 * there (answered before our hook) or is gone already.
 */
function closeOut(reply: FastifyReply): boolean {
  const open = (reply.request.raw.socket as TrackedSocket | null)?.[OPEN_REPLIES];
  const at = open?.indexOf(reply) ?? -1;
  if (!open || at < 0) return false;
  open[at] = open[open.length - 1];
  open.pop();
  return true;
}

/**
 * Takes the response over from Fastify (server-sent events). A hijacked reply
 * never reaches onResponse, nor is it aborted when its connection closes: the
 * in-flight gauge counts it down when its response closes (or at once, if the
 * client is already gone).
 */
export function hijackReply(reply: FastifyReply): void {
  reply.hijack();
  if (!closeOut(reply)) return;
  if (reply.raw.destroyed) {
    inFlight.count--;
    return;
  }
  openStreams.add(reply.raw);
  reply.raw.once('close', () => {
    inFlight.count--;
    openStreams.delete(reply.raw);
  });
}

/** Hijacked responses still open (event streams): a drain ends them rather than waiting for them. */
const openStreams = new Set<ServerResponse>();

/**
 * Shutdown's view of the HTTP layer. Once `draining`, every new request, on a
 * new connection or a kept-alive one, is answered 503 `SHUTTING_DOWN` with
 * `Connection: close` before any other work, while the server keeps listening,
 * so a client that connects during the drain gets an answer it can retry
 * elsewhere instead of a reset connection.
 */
export const httpDrain = {
  draining: false,
  /** Requests admitted before the drain and not yet answered, event streams excluded. */
  pending(): number {
    return inFlight.count - openStreams.size;
  },
  /** Ends every open event stream: a stream never finishes by itself. */
  endStreams(): number {
    const streams = [...openStreams];
    for (const raw of streams) raw.end();
    return streams.length;
  },
};

function answerShuttingDown(request: { id: string }, reply: FastifyReply): void {
  void reply
    .code(503)
    .header('connection', 'close')
    .header('retry-after', '1')
    .header('content-type', PROBLEM_CONTENT_TYPE)
    .send(shuttingDown(String(request.id)));
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
  const series = new Map<string, HistogramSeries>();

  /** The histogram observation and access line of a reply that finished, or was abandoned by its client. */
  const record = (reply: FastifyReply, aborted: boolean): void => {
    const request = reply.request;
    // Read in onRequest: Fastify builds a new routeOptions object on every read.
    const route = (request.raw as IncomingMessage & RequestLogContext).routeTemplate;
    // 499: the client closed the connection before the answer (nginx's convention).
    const status = aborted ? CLIENT_CLOSED_REQUEST : reply.statusCode;
    const key = `${request.method} ${route ?? ''} ${status}`;
    let observed = series.get(key);
    if (!observed) {
      observed = duration.labels({ method: request.method, route: route ?? 'unmatched', status_code: String(status) });
      series.set(key, observed);
    }
    observed.observe(reply.elapsedTime / 1000);
    if (UNLOGGED_ROUTES.has(route ?? '')) return;
    const line = {
      method: request.method,
      url: request.url,
      route,
      status,
      durationMs: Math.round(reply.elapsedTime * 100) / 100,
      userId: (request.raw as IncomingMessage & RequestLogContext).userId,
    };
    if (aborted) request.log.info(line, 'request aborted by the client');
    // 500 is a fault; 502-504 are named dependency states, already warned about by the problem line.
    else if (status === 500) request.log.error(line, 'request completed');
    else if (status > 500) request.log.warn(line, 'request completed');
    else if (status >= 400) request.log.warn(line, 'request completed');
    else request.log.info(line, 'request completed');
  };

  const abandoned = new WeakSet<FastifyReply>();
  // A client that goes away mid-request leaves a reply that never finishes: its
  // connection's close takes it out of flight and logs it. One listener per
  // connection, not per request.
  fastify.server.on('connection', (socket: TrackedSocket) => {
    socket.once('close', () => {
      const open = socket[OPEN_REPLIES];
      if (!open) return;
      for (const reply of open) {
        inFlight.count--;
        abandoned.add(reply);
        record(reply, true);
      }
      open.length = 0;
    });
  });

  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.headers(request.url.startsWith('/docs') ? docsHeaders : API_SECURITY_HEADERS);
    void reply.header('x-request-id', request.id);
    (request.raw as IncomingMessage & RequestLogContext).routeTemplate = request.routeOptions.url;
    // Never counted in flight: the drain waits only for requests admitted before it.
    if (httpDrain.draining) return answerShuttingDown(request, reply);
    const socket = request.raw.socket as TrackedSocket;
    (socket[OPEN_REPLIES] ??= []).push(reply);
    inFlight.count++;
    done();
  });
  if (bindLogContext) fastify.addHook('preHandler', (request, _reply, done) => bindLogContext(request.id, done));
  fastify.addHook('onResponse', (_request, reply, done) => {
    // A hook before ours may answer (CORS preflight): recorded, but never counted in.
    if (!abandoned.has(reply)) {
      if (closeOut(reply)) inFlight.count--;
      record(reply, false);
    }
    done();
  });
}
