import { Processor } from '@nestjs/bullmq';
import { Job, UnrecoverableError } from 'bullmq';
import { AppConfig, JobData, JobProducer, QUEUES, QueueWorkerHost } from '@app/platform';
import {
  BacktestQueryService,
  BacktestRunFailure,
  BacktestRunner,
  BacktestSubmitService,
  RunOutcome,
} from '@app/tiered-backtests';

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
    private readonly reconciler: BacktestQueryService,
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
    if (job.name === 'backtest.reconcile') return this.reconcile((job.data as ReconcileJob).olderThanMs);
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

  /**
   * Backtests left active without a live job (an API that died between its commit and the
   * enqueue, a job that stalled too often): queued ones are enqueued again (the job id makes
   * that a no-op when the job exists), the others are failed so they free their slot.
   */
  private async reconcile(olderThanMs: number): Promise<{ requeued: number; failed: number }> {
    const queue = this.producer.queue('backtests');
    let requeued = 0;
    let failed = 0;
    for (const b of await this.reconciler.staleActive(olderThanMs)) {
      const state = await queue.getJobState(b.id);
      if (state === 'unknown' || state === 'failed' || state === 'completed') {
        if (b.status === 'queued' && state === 'unknown') {
          await this.submitter.enqueueAgain(b);
          requeued++;
        } else if (await this.reconciler.failLost(b.id, state)) {
          failed++;
        }
      }
    }
    if (requeued + failed > 0) this.logger.warn(`reconciled backtests: ${requeued} enqueued again, ${failed} failed`);
    return { requeued, failed };
  }
}
