/**
 * The one map of queues, job names and payloads, shared by producers (API) and
 * processors (worker). A job that is not listed here cannot be enqueued.
 */
export const QUEUES = {
  system: 'system',
  marketImport: 'market-import',
  marketSync: 'market-sync',
  backtests: 'backtests',
} as const;

export interface JobMap {
  system: {
    /** Deletes heartbeat rows of workers that stopped without saying goodbye. */
    'system.prune-heartbeats': { olderThanMs: number };
  };
  'market-import': {
    /** Parses an uploaded file (stored in market_import_chunks) and stores its rows. */
    'market.import': { importId: string };
  };
  'market-sync': {
    /** Fetches new candles (and optionally trades) of one series from an exchange through ccxt. */
    'market.sync': { exchange: string; symbol: string; timeframe: string; trades: boolean };
  };
  backtests: {
    /** Runs one tiered backtest; the job id is the backtest's id. */
    'backtest.run': { backtestId: string };
    /** Re-enqueues queued backtests whose job is missing and ends those whose job is gone for good. */
    'backtest.reconcile': { olderThanMs: number };
  };
}

export type QueueName = Extract<keyof JobMap, string>;
export type JobName<Q extends QueueName> = Extract<keyof JobMap[Q], string>;
export type JobData<Q extends QueueName, N extends JobName<Q>> = JobMap[Q][N];

/** Queue priority by membership tier: BullMQ runs lower numbers first. */
export const TIER_PRIORITY = { elite: 1, pro: 5, basic: 10 } as const;

/** Injection token: names of every queue registered in this process. */
export const QUEUE_NAMES = Symbol('QUEUE_NAMES');
