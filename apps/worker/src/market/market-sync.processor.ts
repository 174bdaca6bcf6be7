import { Processor } from '@nestjs/bullmq';
import { OnApplicationBootstrap } from '@nestjs/common';
import { Job, UnrecoverableError } from 'bullmq';
import { AppConfig, JobData, JobProducer, QUEUES, QueueWorkerHost } from '@app/platform';
import {
  MarketSyncRequest,
  MarketSyncService,
  SyncOutcome,
  isPermanentSyncError,
  marketSyncMetrics,
} from '@app/market';

type SyncJob = JobData<'market-sync', 'market.sync'>;

/** Scheduler ids of this processor start with this; others in the queue are left alone. */
const SCHEDULER_PREFIX = 'market-sync|';

/** BullMQ job ids may not carry more ':' than its own `repeat:<scheduler>:<time>`. */
export function syncSchedulerId(series: MarketSyncRequest): string {
  return `${SCHEDULER_PREFIX}${series.exchange}|${series.symbol}|${series.timeframe}`;
}

/**
 * Exchange sync (docs/market-data.md): one BullMQ job scheduler per MARKET_SYNC series, each run fetching
 * what the exchange has beyond the last stored bar. Exchange or network trouble throws, so the
 * job retries with backoff (and a run resumes from what the failed one stored); an unknown
 * exchange or symbol, or a timeframe conflict, fails at once.
 */
@Processor(QUEUES.marketSync)
export class MarketSyncProcessor extends QueueWorkerHost implements OnApplicationBootstrap {
  private readonly metrics = marketSyncMetrics();

  constructor(
    config: AppConfig,
    private readonly producer: JobProducer,
    private readonly sync: MarketSyncService,
  ) {
    super(config);
  }

  override async onApplicationBootstrap(): Promise<void> {
    await super.onApplicationBootstrap();
    await this.schedule();
  }

  /**
   * Upserts the scheduler of every configured series and removes those of series no longer
   * configured. Every worker does the same with the same ids, so each series runs once per
   * interval however many workers there are.
   */
  async schedule(): Promise<string[]> {
    const queue = this.producer.queue('market-sync');
    const wanted = new Map(this.sync.configured().map((s) => [syncSchedulerId(s), s]));
    for (const [id, series] of wanted) {
      await queue.upsertJobScheduler(
        id,
        { every: this.config.env.MARKET_SYNC_EVERY_MS },
        {
          name: 'market.sync',
          data: { ...series } satisfies SyncJob,
          opts: { attempts: 5, backoff: { type: 'exponential', delay: 2_000 } },
        },
      );
    }
    for (const scheduler of await queue.getJobSchedulers(0, -1)) {
      const id = scheduler.key;
      if (id.startsWith(SCHEDULER_PREFIX) && !wanted.has(id)) {
        await queue.removeJobScheduler(id);
        this.logger.log(`removed the sync schedule ${id}: no longer in MARKET_SYNC`);
      }
    }
    return [...wanted.keys()];
  }

  async process(job: Job<SyncJob>): Promise<SyncOutcome> {
    const exchange = job.data.exchange;
    try {
      const outcome = await this.sync.sync(job.data);
      this.metrics.runs.inc({ exchange, outcome: outcome.skipped ? 'skipped' : 'success' });
      return outcome;
    } catch (error) {
      if (isPermanentSyncError(error)) {
        this.metrics.runs.inc({ exchange, outcome: 'failed' });
        throw new UnrecoverableError((error as Error).message);
      }
      this.metrics.runs.inc({ exchange, outcome: 'retry' });
      throw error;
    }
  }
}
