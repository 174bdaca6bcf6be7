import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, register } from 'prom-client';
import { SeriesHistogram } from './series-histogram';

/**
 * Metrics live in prom-client's default registry, which is process-wide. Two
 * app instances in one process (tests, the embedded API + worker) share them,
 * so each metric is created once and reused.
 */
type AnyMetric = Counter<string> | Gauge<string> | Histogram<string> | SeriesHistogram<string>;

/** The metric named `name`, created on first use; feature libraries define theirs with it too. */
export function onceMetric<M extends AnyMetric>(name: string, create: () => M, registry: Registry = register): M {
  return (registry.getSingleMetric(name) as unknown as M | undefined) ?? create();
}
const once = onceMetric;

let defaultsCollected = false;
export function collectProcessMetrics(): void {
  if (defaultsCollected) return;
  defaultsCollected = true;
  collectDefaultMetrics();
}

export const httpRequestDuration = () =>
  once(
    'http_request_duration_seconds',
    () =>
      new SeriesHistogram({
        name: 'http_request_duration_seconds',
        help: 'HTTP request duration by method, route template and status code',
        labelNames: ['method', 'route', 'status_code'],
        buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      }),
  );

/** Requests being served, counted with a plain integer and read at scrape time (no per-request metric call). */
export const inFlight = { count: 0 };

export const httpRequestsInFlight = () =>
  once(
    'http_requests_in_flight',
    () =>
      new Gauge({
        name: 'http_requests_in_flight',
        help: 'HTTP requests being served',
        collect() {
          this.set(inFlight.count);
        },
      }),
  );

export const dbPoolConnections = (collect: (g: Gauge<string>) => void) =>
  once(
    'db_pool_connections',
    () =>
      new Gauge({
        name: 'db_pool_connections',
        help: 'PostgreSQL pool connections by state (total, idle, waiting, max)',
        labelNames: ['state'],
        collect() {
          collect(this);
        },
      }),
  );

export const queueJobs = (collect: (g: Gauge<string>) => Promise<void>) =>
  once(
    'queue_jobs',
    () =>
      new Gauge({
        name: 'queue_jobs',
        help: 'Jobs in each queue by state',
        labelNames: ['queue', 'state'],
        async collect() {
          await collect(this);
        },
      }),
  );

export const queueWorkers = (collect: (g: Gauge<string>) => Promise<void>) =>
  once(
    'queue_live_workers',
    () =>
      new Gauge({
        name: 'queue_live_workers',
        help: 'Worker processes with a fresh heartbeat',
        async collect() {
          await collect(this);
        },
      }),
  );

/** 1 when a dependency answered the last scrape's check, 0 otherwise; what the "unreachable" alerts read. */
export const dependencyUp = (collect: (g: Gauge<string>) => Promise<void>) =>
  once(
    'dependency_up',
    () =>
      new Gauge({
        name: 'dependency_up',
        help: 'Whether a dependency answered within DEPENDENCY_TIMEOUT_MS at the last scrape (postgres, redis, queue)',
        labelNames: ['dependency'],
        async collect() {
          await collect(this);
        },
      }),
  );

/** What /health/ready would answer, as a number, so that a failing readiness can alert before the pods are cycled. */
export const appReady = (collect: (g: Gauge<string>) => Promise<void>) =>
  once(
    'app_ready',
    () =>
      new Gauge({
        name: 'app_ready',
        help: '1 when the API is ready (database reachable with migrations current, job queue reachable), else 0',
        async collect() {
          await collect(this);
        },
      }),
  );

export const queueOldestWaiting = (collect: (g: Gauge<string>) => Promise<void>) =>
  once(
    'queue_oldest_waiting_seconds',
    () =>
      new Gauge({
        name: 'queue_oldest_waiting_seconds',
        help: 'Age of the oldest job waiting in each queue (0 when none waits)',
        labelNames: ['queue'],
        async collect() {
          await collect(this);
        },
      }),
  );

/** Counted where the jobs run (each worker process), unlike the queue gauges which the API reads from the queue. */
export const queueJobsFinished = () =>
  once(
    'queue_jobs_finished_total',
    () =>
      new Counter({
        name: 'queue_jobs_finished_total',
        help: 'Jobs this worker finished, by queue and outcome (completed, failed: every failed attempt)',
        labelNames: ['queue', 'outcome'],
      }),
  );

export const queueJobsStalled = () =>
  once(
    'queue_jobs_stalled_total',
    () =>
      new Counter({
        name: 'queue_jobs_stalled_total',
        help: 'Jobs whose lock expired while active (worker died or blocked its event loop), by queue',
        labelNames: ['queue'],
      }),
  );

export { once as metricOnce };
