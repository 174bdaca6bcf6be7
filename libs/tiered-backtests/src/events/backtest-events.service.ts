import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { QueueEvents } from 'bullmq';
import { JobProducer } from '@app/platform';

export type JobEvent =
  | { type: 'active' }
  | { type: 'progress'; progress: number }
  | { type: 'completed' }
  | { type: 'failed'; reason: string }
  | { type: 'removed' };

type Listener = (event: JobEvent) => void;

/**
 * Fans the backtest queue's events out to the SSE streams of this API instance: one BullMQ
 * QueueEvents reader per process (Redis stream or PostgreSQL LISTEN/NOTIFY, whichever the
 * queue runs on), so progress published by any worker reaches a client on any instance.
 */
@Injectable()
export class BacktestEvents implements OnModuleDestroy {
  private readonly logger = new Logger(BacktestEvents.name);
  private readonly listeners = new Map<string, Set<Listener>>();
  private events?: QueueEvents;
  private ready?: Promise<void>;

  constructor(private readonly producer: JobProducer) {}

  /** Starts listening for `jobId`; resolves once the reader is connected. Returns the unsubscribe. */
  async subscribe(jobId: string, listener: Listener): Promise<() => void> {
    let set = this.listeners.get(jobId);
    if (!set) this.listeners.set(jobId, (set = new Set()));
    set.add(listener);
    await this.start();
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(jobId);
    };
  }

  async onModuleDestroy(): Promise<void> {
    await this.events?.close().catch(() => undefined);
  }

  private start(): Promise<void> {
    this.ready ??= (async () => {
      const queue = this.producer.queue('backtests');
      const events = new QueueEvents(queue.name, { connection: queue.opts.connection, prefix: queue.opts.prefix });
      events.on('error', (e: Error) => this.logger.warn(`queue events: ${e.message}`));
      const emit = (jobId: string, event: JobEvent) => this.listeners.get(jobId)?.forEach((l) => l(event));
      events.on('active', ({ jobId }) => emit(jobId, { type: 'active' }));
      events.on('progress', ({ jobId, data }) => {
        if (typeof data === 'number') emit(jobId, { type: 'progress', progress: data });
      });
      events.on('completed', ({ jobId }) => emit(jobId, { type: 'completed' }));
      events.on('failed', ({ jobId, failedReason }) => emit(jobId, { type: 'failed', reason: failedReason }));
      events.on('removed', ({ jobId }) => emit(jobId, { type: 'removed' }));
      this.events = events;
      await events.waitUntilReady();
    })();
    return this.ready;
  }
}
