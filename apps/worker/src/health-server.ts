import { randomUUID } from 'node:crypto';
import Fastify, { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { register } from 'prom-client';
import {
  answerClientError,
  DatabasePool,
  PROBLEM_CONTENT_TYPE,
  problemBody,
  QueueStats,
  safeEqual,
  WorkerHeartbeat,
} from '@app/platform';

/** Probes send no body and short URLs; anyone slower is not a probe. */
const PROBE_TIMEOUT_MS = 10_000;

function sendProblem(reply: FastifyReply, status: number, code: string, detail: string): FastifyReply {
  return reply
    .status(status)
    .header('content-type', PROBLEM_CONTENT_TYPE)
    .send(problemBody(status, code, detail, String(reply.request.id)));
}

/** Every error of this port as problem details, like the API's; never the request's URL or an internal message. */
function sendError(error: FastifyError, reply: FastifyReply): FastifyReply {
  const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
  if (error.code === 'FST_ERR_BAD_URL') {
    return sendProblem(reply, 400, 'MALFORMED_URL', 'The URL path has an invalid percent-encoding.');
  }
  if (status === 500) return sendProblem(reply, 500, 'INTERNAL_ERROR', 'An unexpected error occurred.');
  return sendProblem(reply, status, 'BAD_REQUEST', 'The request is not valid.');
}

/**
 * The worker's only HTTP surface: probes for Kubernetes and compose, and its metrics.
 * /health answers while the process lives; /health/ready when the database and
 * the queue answer and the heartbeat is being written; /metrics is what this process
 * counts (backtest runs, durations, engine speed), behind METRICS_TOKEN when it is set.
 */
export async function startHealthServer(
  port: number,
  host: string,
  deps: {
    pool: DatabasePool;
    queues: QueueStats;
    heartbeat: WorkerHeartbeat;
    timeoutMs: number;
    metricsToken?: string;
  },
): Promise<FastifyInstance> {
  const server = Fastify({
    logger: false,
    genReqId: () => randomUUID(),
    requestTimeout: PROBE_TIMEOUT_MS,
    http: { headersTimeout: PROBE_TIMEOUT_MS, requestTimeout: PROBE_TIMEOUT_MS, connectionsCheckingInterval: 1_000 },
    frameworkErrors: (error, _request, reply) => {
      void sendError(error, reply);
    },
    clientErrorHandler: answerClientError,
  });
  server.setErrorHandler((error: FastifyError, _request, reply) => sendError(error, reply));
  server.setNotFoundHandler((_request, reply) =>
    sendProblem(reply, 404, 'ROUTE_NOT_FOUND', 'No route matches this method and path.'),
  );
  server.get('/health', () => ({ status: 'ok', workerId: deps.heartbeat.id }));
  server.get('/health/ready', async (_req, reply) => {
    const checks: Record<string, { status: 'up' | 'down'; message?: string }> = {};
    await deps.pool.ping(deps.timeoutMs).then(
      () => (checks.database = { status: 'up' }),
      (e: Error) => (checks.database = { status: 'down', message: e.message }),
    );
    await deps.queues.counts(deps.timeoutMs).then(
      () => (checks.queue = { status: 'up' }),
      (e: Error) => (checks.queue = { status: 'down', message: e.message }),
    );
    checks.heartbeat = deps.heartbeat.healthy ? { status: 'up' } : { status: 'down', message: 'heartbeat not written' };
    const ok = Object.values(checks).every((c) => c.status === 'up');
    return reply.status(ok ? 200 : 503).send({ status: ok ? 'ok' : 'error', details: checks });
  });
  server.get('/metrics', async (request, reply) => {
    if (deps.metricsToken) {
      const given = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? '';
      if (!safeEqual(given, deps.metricsToken)) {
        return sendProblem(reply, 401, 'UNAUTHENTICATED', 'Send Authorization: Bearer <METRICS_TOKEN>.');
      }
    }
    return reply.header('content-type', register.contentType).send(await register.metrics());
  });
  await server.listen({ port, host });
  return server;
}
