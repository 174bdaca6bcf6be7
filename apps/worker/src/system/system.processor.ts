import { Processor } from '@nestjs/bullmq';
import { OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Job } from 'bullmq';
import { DataSource } from 'typeorm';
import { AppConfig, JobData, JobProducer, QUEUES, QueueWorkerHost } from '@app/platform';

type PruneHeartbeats = JobData<'system', 'system.prune-heartbeats'>;

/** Housekeeping: removes heartbeat rows of workers that died without a goodbye. */
@Processor(QUEUES.system)
export class SystemProcessor extends QueueWorkerHost implements OnApplicationBootstrap {
  constructor(
    config: AppConfig,
    private readonly producer: JobProducer,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {
    super(config);
  }

  override async onApplicationBootstrap(): Promise<void> {
    await super.onApplicationBootstrap();
    // One scheduler id for every worker: BullMQ keeps a single schedule however many workers start.
    await this.producer
      .queue('system')
      .upsertJobScheduler(
        'prune-heartbeats',
        { every: 10 * 60_000 },
        { name: 'system.prune-heartbeats', data: { olderThanMs: 24 * 3600_000 } satisfies PruneHeartbeats },
      );
  }

  async process(job: Job<PruneHeartbeats>): Promise<{ deleted: number }> {
    const result: [unknown[], number] = await this.dataSource.query(
      `DELETE FROM worker_heartbeats WHERE last_seen_at < now() - make_interval(secs => $1::double precision / 1000)`,
      [job.data.olderThanMs],
    );
    return { deleted: Array.isArray(result) ? Number(result[1] ?? 0) : 0 };
  }
}
