import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { AppConfig } from '../config/app-config';
import { DatabasePool, withTimeout } from '../database/database-pool';
import { QueueStats } from '../queue/queue-stats.service';
import { RedisConnection } from '../redis/redis.module';
import { APP_VERSION } from '../version';

/** Health indicators for terminus: database, queue, Redis, memory, event loop. */
@Injectable()
export class PlatformHealth implements OnModuleDestroy {
  private readonly loop: IntervalHistogram = monitorEventLoopDelay({ resolution: 20 });
  private readonly started = Date.now();

  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly config: AppConfig,
    private readonly pool: DatabasePool,
    private readonly queues: QueueStats,
    private readonly redis: RedisConnection,
  ) {
    this.loop.enable();
  }

  onModuleDestroy(): void {
    this.loop.disable();
  }

  private get timeoutMs(): number {
    return this.config.env.DEPENDENCY_TIMEOUT_MS;
  }

  async database(options: { details: boolean }): Promise<HealthIndicatorResult> {
    const check = this.indicators.check('database');
    try {
      const latencyMs = round(await this.pool.ping(this.timeoutMs));
      const pending = await withTimeout(this.pool.hasPendingMigrations(), this.timeoutMs, 'database');
      const data: Record<string, unknown> = options.details
        ? { latencyMs, pool: this.pool.state(), migrationsPending: pending }
        : {};
      return pending ? check.down({ ...data, message: 'migrations are pending' }) : check.up(data);
    } catch (err) {
      return check.down({ message: (err as Error).message });
    }
  }

  async queue(options: { details: boolean }): Promise<HealthIndicatorResult> {
    const check = this.indicators.check('queue');
    try {
      const counts = await this.queues.counts(this.timeoutMs);
      if (!options.details) return check.up({ backend: this.config.queueBackend });
      const workers = await withTimeout(this.queues.liveWorkers(), this.timeoutMs, 'database');
      return check.up({ backend: this.config.queueBackend, queues: counts, liveWorkers: workers.length, workers });
    } catch (err) {
      return check.down({ backend: this.config.queueBackend, message: (err as Error).message });
    }
  }

  async redisCheck(): Promise<HealthIndicatorResult> {
    const check = this.indicators.check('redis');
    const client = this.redis.client;
    if (!client) return check.up({ configured: false });
    try {
      const started = process.hrtime.bigint();
      await withTimeout(client.ping(), this.timeoutMs, 'redis');
      const latencyMs = round(Number(process.hrtime.bigint() - started) / 1e6);
      const info = await withTimeout(client.info('memory'), this.timeoutMs, 'redis');
      const usedMemoryBytes = Number(/used_memory:(\d+)/.exec(info)?.[1] ?? NaN);
      return check.up({ configured: true, latencyMs, usedMemoryBytes });
    } catch (err) {
      return check.down({ configured: true, message: (err as Error).message });
    }
  }

  memory(): HealthIndicatorResult {
    const m = process.memoryUsage();
    return this.indicators
      .check('memory')
      .up({ rssBytes: m.rss, heapUsedBytes: m.heapUsed, heapTotalBytes: m.heapTotal, externalBytes: m.external });
  }

  eventLoop(): HealthIndicatorResult {
    const lagMs = {
      meanMs: round(this.loop.mean / 1e6),
      p99Ms: round(this.loop.percentile(99) / 1e6),
      maxMs: round(this.loop.max / 1e6),
    };
    this.loop.reset();
    const check = this.indicators.check('eventLoop');
    return lagMs.p99Ms > this.config.env.EVENT_LOOP_LAG_WARN_MS ? check.down(lagMs) : check.up(lagMs);
  }

  /** Static facts about this process for /health/detailed. */
  info() {
    return {
      version: APP_VERSION,
      commit: this.config.env.GIT_COMMIT ?? null,
      runMode: this.config.runMode,
      nodeEnv: this.config.env.NODE_ENV,
      queueBackend: this.config.queueBackend,
      workerInProcess: this.config.runWorkerInApi,
      // Without a key the AI routes answer 503 AI_DISABLED; the rest of the product is unaffected.
      ai: this.config.env.ANTHROPIC_API_KEY ? 'configured' : 'disabled',
      uptimeSeconds: Math.round((Date.now() - this.started) / 1000),
      node: process.version,
    };
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
