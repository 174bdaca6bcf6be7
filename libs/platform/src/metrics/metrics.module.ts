import { Global, Module, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { DatabasePool, withTimeout } from '../database/database-pool';
import { QueueStats } from '../queue/queue-stats.service';
import { RedisConnection } from '../redis/redis.module';
import {
  appReady,
  collectProcessMetrics,
  dbPoolConnections,
  dependencyUp,
  queueJobs,
  queueOldestWaiting,
  queueWorkers,
} from './metrics';

interface DependencyChecks {
  postgres: boolean;
  migrationsCurrent: boolean;
  redis?: boolean;
  queue: boolean;
}

/**
 * Gauges read on every scrape: pool state, queue depths, live workers. The
 * /metrics route itself is in apps/api (PrometheusModule with our controller).
 */
@Global()
@Module({})
export class MetricsModule implements OnModuleInit {
  private static current?: MetricsModule;

  constructor(
    private readonly pool: DatabasePool,
    private readonly queues: QueueStats,
    private readonly config: AppConfig,
    private readonly redis: RedisConnection,
  ) {}

  private checks?: { at: number; result: Promise<DependencyChecks> };

  /** One round of dependency checks per scrape, shared by the gauges that report it. */
  private dependencyChecks(): Promise<DependencyChecks> {
    const now = Date.now();
    if (this.checks && now - this.checks.at < 1_000) return this.checks.result;
    const timeoutMs = this.config.env.DEPENDENCY_TIMEOUT_MS;
    const ok = (p: Promise<unknown>) =>
      p.then(
        () => true,
        () => false,
      );
    const result = (async (): Promise<DependencyChecks> => {
      const client = this.redis.client;
      const [postgres, migrationsCurrent, redis, queue] = await Promise.all([
        ok(this.pool.ping(timeoutMs)),
        withTimeout(this.pool.hasPendingMigrations(), timeoutMs, 'database').then(
          (pending) => !pending,
          () => false,
        ),
        client ? ok(withTimeout(client.ping(), timeoutMs, 'redis')) : Promise.resolve(undefined),
        ok(this.queues.counts(timeoutMs)),
      ]);
      return { postgres, migrationsCurrent, redis, queue };
    })();
    this.checks = { at: now, result };
    return result;
  }

  onModuleInit(): void {
    // The newest instance answers scrapes (tests boot several apps in one process).
    MetricsModule.current = this;
    collectProcessMetrics();
    dbPoolConnections((g) => {
      const s = MetricsModule.current?.pool.state();
      if (!s) return;
      g.reset();
      for (const [state, value] of Object.entries(s)) g.set({ state }, Number(value));
    });
    queueJobs(async (g) => {
      const self = MetricsModule.current;
      if (!self) return;
      g.reset();
      const counts = await self.queues.counts(self.config.env.DEPENDENCY_TIMEOUT_MS).catch(() => ({}));
      for (const [queue, byState] of Object.entries(counts)) {
        for (const [state, value] of Object.entries(byState)) g.set({ queue, state }, Number(value));
      }
    });
    queueWorkers(async (g) => {
      const self = MetricsModule.current;
      if (!self) return;
      const workers = await self.queues.liveWorkers().catch(() => undefined);
      if (workers) g.set(workers.length);
    });
    queueOldestWaiting(async (g) => {
      const self = MetricsModule.current;
      if (!self) return;
      g.reset();
      const ages = await self.queues.oldestWaitingSeconds(Date.now()).catch(() => ({}));
      for (const [queue, seconds] of Object.entries(ages)) g.set({ queue }, Math.round(seconds * 1000) / 1000);
    });
    dependencyUp(async (g) => {
      const self = MetricsModule.current;
      if (!self) return;
      const c = await self.dependencyChecks();
      g.reset();
      g.set({ dependency: 'postgres' }, Number(c.postgres));
      g.set({ dependency: 'queue' }, Number(c.queue));
      // Without REDIS_URL there is no Redis to be down: no series, so no alert.
      if (c.redis !== undefined) g.set({ dependency: 'redis' }, Number(c.redis));
    });
    appReady(async (g) => {
      const self = MetricsModule.current;
      if (!self) return;
      const c = await self.dependencyChecks();
      g.set(Number(c.postgres && c.migrationsCurrent && c.queue));
    });
  }
}
