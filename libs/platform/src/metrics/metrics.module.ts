import { Global, Module, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { DatabasePool } from '../database/database-pool';
import { QueueStats } from '../queue/queue-stats.service';
import { collectProcessMetrics, dbPoolConnections, queueJobs, queueWorkers } from './metrics';

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
  ) {}

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
  }
}
