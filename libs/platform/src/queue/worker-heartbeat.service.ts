import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import * as os from 'node:os';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { APP_VERSION } from '../version';

export const WORKER_QUEUES = Symbol('WORKER_QUEUES');

/**
 * Each worker process writes a heartbeat row every WORKER_HEARTBEAT_INTERVAL_MS
 * and deletes it on a clean stop; the API lists workers whose row is fresh.
 * The row lives in PostgreSQL so it works the same on both queue backends.
 */
@Injectable()
export class WorkerHeartbeat implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly id = randomUUID();
  private readonly startedAt = new Date();
  private timer?: NodeJS.Timeout;
  private readonly logger = new Logger(WorkerHeartbeat.name);
  private lastOk = false;

  constructor(
    private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(WORKER_QUEUES) private readonly queues: string[],
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => void this.beat(), this.config.env.WORKER_HEARTBEAT_INTERVAL_MS);
    this.timer.unref();
  }

  /** True when the last heartbeat reached the database. */
  get healthy(): boolean {
    return this.lastOk;
  }

  async beat(): Promise<void> {
    try {
      await this.dataSource.query(
        `INSERT INTO worker_heartbeats (id, hostname, pid, queues, concurrency, version, started_at, last_seen_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, now())
         ON CONFLICT (id) DO UPDATE SET last_seen_at = now()`,
        [
          this.id,
          os.hostname(),
          process.pid,
          this.queues,
          this.config.env.WORKER_CONCURRENCY,
          APP_VERSION,
          this.startedAt,
        ],
      );
      this.lastOk = true;
    } catch (err) {
      if (this.lastOk) this.logger.warn(`heartbeat failed: ${(err as Error).message}`);
      this.lastOk = false;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.dataSource.query('DELETE FROM worker_heartbeats WHERE id = $1', [this.id]).catch(() => undefined);
  }
}
