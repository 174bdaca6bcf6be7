import { getQueueToken } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { Job, JobsOptions, Queue } from 'bullmq';
import { DependencyUnavailableError } from '../errors/app-error';
import { JobData, JobName, QueueName } from './jobs';

/** The one way to enqueue work: typed by the job map in `jobs.ts`. */
@Injectable()
export class JobProducer {
  constructor(private readonly moduleRef: ModuleRef) {}

  queue(name: QueueName): Queue {
    return this.moduleRef.get<Queue>(getQueueToken(name), { strict: false });
  }

  async add<Q extends QueueName, N extends JobName<Q>>(
    queue: Q,
    name: N,
    data: JobData<Q, N>,
    options: JobsOptions = {},
  ): Promise<Job<JobData<Q, N>>> {
    try {
      return (await this.queue(queue).add(name, data, options)) as Job<JobData<Q, N>>;
    } catch (err) {
      throw new DependencyUnavailableError('job queue', err);
    }
  }
}
