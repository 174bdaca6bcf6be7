import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { withTimeout } from '../database/database-pool';
import { JobProducer } from './job-producer.service';
import { QUEUE_NAMES, QueueName } from './jobs';

export interface QueueCounts {
  waiting: number;
  active: number;
  delayed: number;
  prioritized: number;
  failed: number;
  completed: number;
}

export interface LiveWorker {
  id: string;
  hostname: string;
  pid: number;
  queues: string[];
  concurrency: number;
  version: string;
  startedAt: string;
  lastHeartbeatAt: string;
}

/** Queue depths and live workers, for /health/detailed and /metrics. */
@Injectable()
export class QueueStats {
  constructor(
    private readonly producer: JobProducer,
    private readonly config: AppConfig,
    @Inject(QUEUE_NAMES) readonly names: string[],
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  async counts(timeoutMs = this.config.env.DEPENDENCY_TIMEOUT_MS): Promise<Record<string, QueueCounts>> {
    const entries = await Promise.all(
      this.names.map(async (name) => {
        const c = await withTimeout(
          this.producer
            .queue(name as QueueName)
            .getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'failed', 'completed'),
          timeoutMs,
          'job queue',
        );
        const counts: QueueCounts = {
          waiting: c.waiting ?? 0,
          active: c.active ?? 0,
          delayed: c.delayed ?? 0,
          prioritized: c.prioritized ?? 0,
          failed: c.failed ?? 0,
          completed: c.completed ?? 0,
        };
        return [name, counts] as const;
      }),
    );
    return Object.fromEntries(entries);
  }

  /**
   * Seconds since the oldest waiting or prioritized job of each queue was created (0 when none
   * waits). A job retried after a failure keeps its creation time, so this errs on the old side.
   */
  async oldestWaitingSeconds(
    nowMs: number,
    timeoutMs = this.config.env.DEPENDENCY_TIMEOUT_MS,
  ): Promise<Record<string, number>> {
    const entries = await Promise.all(
      this.names.map(async (name) => {
        const jobs = await withTimeout(
          this.producer.queue(name as QueueName).getJobs(['waiting', 'prioritized'], 0, 0, true),
          timeoutMs,
          'job queue',
        );
        const oldest = Math.min(...jobs.filter(Boolean).map((j) => j.timestamp));
        return [name, Number.isFinite(oldest) ? Math.max(0, (nowMs - oldest) / 1000) : 0] as const;
      }),
    );
    return Object.fromEntries(entries);
  }

  /** Workers whose heartbeat is younger than three heartbeat intervals. */
  async liveWorkers(): Promise<LiveWorker[]> {
    const staleAfterMs = 3 * this.config.env.WORKER_HEARTBEAT_INTERVAL_MS;
    const rows: Array<Record<string, unknown>> = await this.dataSource.query(
      `SELECT id, hostname, pid, queues, concurrency, version, started_at, last_seen_at
         FROM worker_heartbeats
        WHERE last_seen_at > now() - make_interval(secs => $1::double precision / 1000)
        ORDER BY started_at`,
      [staleAfterMs],
    );
    return rows.map((r) => ({
      id: String(r.id),
      hostname: String(r.hostname),
      pid: Number(r.pid),
      queues: r.queues as string[],
      concurrency: Number(r.concurrency),
      version: String(r.version),
      startedAt: new Date(r.started_at as string).toISOString(),
      lastHeartbeatAt: new Date(r.last_seen_at as string).toISOString(),
    }));
  }
}
