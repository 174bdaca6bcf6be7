import { Processor } from '@nestjs/bullmq';
import { Job, UnrecoverableError } from 'bullmq';
import { AppConfig, AppError, JobData, QUEUES, QueueWorkerHost } from '@app/platform';
import { ImportService } from '@app/market';

type ImportJob = JobData<'market-import', 'market.import'>;

/** @nestjs/bullmq's metadata key of `@Processor` worker options. */
const WORKER_METADATA = 'bullmq:worker_metadata';

/**
 * Runs uploaded market-data imports. Bad files fail at once (no retry); infrastructure errors
 * retry with backoff, and since an import is one transaction, a retry or a stalled-job re-run
 * stores exactly what one run would have.
 */
@Processor(QUEUES.marketImport)
export class MarketImportProcessor extends QueueWorkerHost {
  constructor(
    config: AppConfig,
    private readonly imports: ImportService,
  ) {
    super(config);
    // Worker options are read from the decorator's metadata after this constructor: how soon a
    // killed worker's import is taken over comes from config.
    const lockDuration = config.env.MARKET_IMPORT_LOCK_MS;
    Reflect.defineMetadata(
      WORKER_METADATA,
      { lockDuration, stalledInterval: Math.max(500, Math.floor(lockDuration / 2)) },
      MarketImportProcessor,
    );
  }

  async process(job: Job<ImportJob>): Promise<{ ran: boolean }> {
    const { importId } = job.data;
    try {
      const ran = await this.imports.run(importId, undefined, (fraction) =>
        job.updateProgress(Math.round(fraction * 100)),
      );
      return { ran };
    } catch (error) {
      const final = error instanceof AppError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      await this.imports.fail(importId, error, final).catch(() => undefined);
      if (error instanceof AppError) throw new UnrecoverableError(error.message);
      throw error;
    }
  }
}
