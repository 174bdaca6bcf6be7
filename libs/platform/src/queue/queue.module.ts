import { BullModule } from '@nestjs/bullmq';
import { DynamicModule, Global, Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { DatabaseUrl } from '../database/database-url';
import { JobProducer } from './job-producer.service';
import { QUEUE_NAMES, QUEUES, QueueName } from './jobs';
import { configureQueueBackend } from './queue-connection';
import { QueueErrorListener } from './queue-errors.service';
import { QueueStats } from './queue-stats.service';

const ALL_QUEUES = Object.values(QUEUES) as QueueName[];

/**
 * BullMQ through @nestjs/bullmq, on Redis or on PostgreSQL. Registers every
 * queue of the job map so that any module can enqueue through `JobProducer`.
 */
@Global()
@Module({})
export class QueueModule {
  static forRoot(extraQueues: string[] = []): DynamicModule {
    const names = [...ALL_QUEUES, ...extraQueues];
    const registered = BullModule.registerQueue(...names.map((name) => ({ name })));
    return {
      module: QueueModule,
      imports: [
        BullModule.forRootAsync({
          inject: [AppConfig, DatabaseUrl],
          useFactory: (config: AppConfig, url: DatabaseUrl) => ({
            connection: configureQueueBackend(config, url.value),
            prefix: config.env.QUEUE_PREFIX,
            defaultJobOptions: {
              attempts: 3,
              backoff: { type: 'exponential', delay: 1_000 },
              removeOnComplete: { age: 24 * 3600, count: 10_000 },
              removeOnFail: { age: 7 * 24 * 3600 },
            },
          }),
        }),
        registered,
      ],
      providers: [JobProducer, QueueStats, QueueErrorListener, { provide: QUEUE_NAMES, useValue: names }],
      exports: [registered, JobProducer, QueueStats, QUEUE_NAMES],
    };
  }
}
