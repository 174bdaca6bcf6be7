import Fastify, { FastifyInstance } from 'fastify';
import { register } from 'prom-client';
import { DatabasePool, QueueStats, safeEqual, WorkerHeartbeat } from '@app/platform';

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
  const server = Fastify({ logger: false });
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
      if (!safeEqual(given, deps.metricsToken)) return reply.status(401).send({ status: 'unauthorized' });
    }
    return reply.header('content-type', register.contentType).send(await register.metrics());
  });
  await server.listen({ port, host });
  return server;
}
