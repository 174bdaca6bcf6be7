import { WorkerHost } from '@nestjs/bullmq';
import { BeforeApplicationShutdown, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { queueJobsFinished, queueJobsStalled } from '../metrics/metrics';

/**
 * Base of every BullMQ processor: concurrency from config, and a bounded
 * graceful shutdown. On shutdown the worker stops taking jobs and waits for the
 * active ones up to WORKER_SHUTDOWN_TIMEOUT_MS; past that it closes forcibly and
 * the unfinished jobs go back to the queue through BullMQ's stalled-job check.
 */
export abstract class QueueWorkerHost extends WorkerHost implements OnApplicationBootstrap, BeforeApplicationShutdown {
  protected readonly logger = new Logger(this.constructor.name);

  constructor(protected readonly config: AppConfig) {
    super();
  }

  onApplicationBootstrap(): void | Promise<void> {
    this.worker.concurrency = this.config.env.WORKER_CONCURRENCY;
    const queue = this.worker.name;
    const finished = queueJobsFinished();
    const stalled = queueJobsStalled();
    // Zero-valued series from the start, so that rate() and increase() see the first job.
    finished.inc({ queue, outcome: 'completed' }, 0);
    finished.inc({ queue, outcome: 'failed' }, 0);
    stalled.inc({ queue }, 0);
    this.worker.on('completed', () => finished.inc({ queue, outcome: 'completed' }));
    this.worker.on('failed', () => finished.inc({ queue, outcome: 'failed' }));
    this.worker.on('stalled', () => stalled.inc({ queue }));
    // Without a listener, a connection error event would be thrown and kill the process.
    let lastLogged = 0;
    this.worker.on('error', (err: Error) => {
      if (Date.now() - lastLogged < 30_000) return;
      lastLogged = Date.now();
      this.logger.warn(`worker connection error: ${err.message}`);
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    const timeoutMs = this.config.env.WORKER_SHUTDOWN_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    // pause() stops taking jobs and resolves when the active ones are done; close() alone
    // could not be bounded, since a later close(true) returns the pending close.
    const outcome = await Promise.race([this.worker.pause().then(() => 'drained' as const), timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.logger.warn(`active jobs did not finish within ${timeoutMs} ms; handing them back to the queue`);
    }
    await this.worker.close(outcome === 'timeout');
  }
}
