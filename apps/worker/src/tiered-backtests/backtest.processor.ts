import { Processor } from '@nestjs/bullmq';
import { Job, UnrecoverableError } from 'bullmq';
import { AppConfig, JobData, JobProducer, QUEUES, QueueWorkerHost } from '@app/platform';
import { BacktestRunFailure, BacktestRunner, BacktestSubmitService, RunOutcome } from '@app/tiered-backtests';

type RunJob = JobData<'backtests', 'backtest.run'>;
type ReconcileJob = JobData<'backtests', 'backtest.reconcile'>;

/** @nestjs/bullmq's key for @Processor worker options (not exported from its index). */
const WORKER_METADATA = 'bullmq:worker_metadata';

/**
 * Runs tiered backtests. Bad definitions or data fail at once (UnrecoverableError); other errors
 * retry with exponential backoff. A worker killed mid-run loses its job lock, BullMQ's
 * stalled-job check hands the job to another worker, and the completing transaction stores
 * the result once.
 */
@Processor(QUEUES.backtests)
export class BacktestProcessor extends QueueWorkerHost {
  constructor(
    config: AppConfig,
    private readonly runner: BacktestRunner,
    private readonly producer: JobProducer,
    private readonly submitter: BacktestSubmitService,
  ) {
    super(config);
    // Worker options are read from the decorator's metadata when the worker is created, after
    // this constructor; the lock and the stalled check come from config, so set them here.
    const lockDuration = config.env.BACKTEST_LOCK_MS;
    Reflect.defineMetadata(
      WORKER_METADATA,
      { lockDuration, stalledInterval: Math.max(500, Math.floor(lockDuration / 2)), maxStalledCount: 2 },
      BacktestProcessor,
    );
  }

  override async onApplicationBootstrap(): Promise<void> {
    await super.onApplicationBootstrap();
    this.worker.concurrency = this.config.env.BACKTEST_CONCURRENCY;
    await this.producer
      .queue('backtests')
      .upsertJobScheduler(
        'reconcile-backtests',
        { every: 60_000 },
        { name: 'backtest.reconcile', data: { olderThanMs: 60_000 } satisfies ReconcileJob, opts: { priority: 1 } },
      );
  }

  async process(job: Job<RunJob | ReconcileJob>): Promise<RunOutcome | { requeued: number; failed: number }> {
    if (job.name === 'backtest.reconcile') return this.submitter.reconcile((job.data as ReconcileJob).olderThanMs);
    try {
      return await this.runner.run((job.data as RunJob).backtestId, {
        attempt: job.attemptsMade + 1,
        maxAttempts: job.opts.attempts ?? 1,
        publish: (percent) => job.updateProgress(percent),
      });
    } catch (error) {
      if (error instanceof BacktestRunFailure) throw new UnrecoverableError(`${error.code}: ${error.message}`);
      throw error;
    }
  }
}
