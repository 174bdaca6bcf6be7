import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { JobProducer } from './job-producer.service';
import { QUEUE_NAMES, QueueName } from './jobs';

/**
 * A BullMQ Queue is an EventEmitter: a connection error with no listener would
 * be thrown and kill the process. Errors are logged (once per outage) instead;
 * health checks report the outage and BullMQ reconnects by itself.
 */
@Injectable()
export class QueueErrorListener implements OnModuleInit {
  private readonly logger = new Logger('Queue');
  private failing = new Set<string>();

  constructor(
    private readonly producer: JobProducer,
    @Inject(QUEUE_NAMES) private readonly names: string[],
  ) {}

  onModuleInit(): void {
    for (const name of this.names) {
      const queue = this.producer.queue(name as QueueName);
      queue.on('error', (err: Error) => this.report(`queue ${name}`, err));
    }
  }

  report(source: string, err: Error): void {
    if (this.failing.has(source)) return;
    this.failing.add(source);
    this.logger.warn(`${source}: ${err.message}`);
    setTimeout(() => this.failing.delete(source), 30_000).unref();
  }
}
