import { Processor } from '@nestjs/bullmq';
import { Job, UnrecoverableError } from 'bullmq';
import { AppConfig, AppError, JobData, QUEUES, QueueWorkerHost } from '@app/platform';
import { ImportService } from '@app/market';

type ImportJob = JobData<'market-import', 'market.import'>;

/**
 * Runs uploaded market-data imports. Bad files fail at once (no retry); infrastructure errors
 * retry with backoff, and since an import is one transaction, a retry or a stalled-job re-run
 * stores exactly what one run would have.
 */
@Processor(QUEUES.marketImport, { lockDuration: 60_000 })
export class MarketImportProcessor extends QueueWorkerHost {
  constructor(
    config: AppConfig,
    private readonly imports: ImportService,
  ) {
    super(config);
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
