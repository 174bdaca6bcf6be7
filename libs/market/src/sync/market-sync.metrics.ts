import { Counter, Gauge } from 'prom-client';
import { onceMetric } from '@app/platform';

/** Prometheus counters of the exchange sync (process-wide, created once). */
export function marketSyncMetrics() {
  return {
    runs: onceMetric(
      'market_sync_runs_total',
      () =>
        new Counter({
          name: 'market_sync_runs_total',
          help: 'Exchange sync runs by exchange and outcome (success, skipped, retry, failed)',
          labelNames: ['exchange', 'outcome'],
        }),
    ),
    stored: onceMetric(
      'market_sync_stored_total',
      () =>
        new Counter({
          name: 'market_sync_stored_total',
          help: 'New rows stored by the exchange sync, by exchange and kind (bars, trades)',
          labelNames: ['exchange', 'kind'],
        }),
    ),
    rateLimitWaits: onceMetric(
      'market_sync_rate_limit_waits_total',
      () =>
        new Counter({
          name: 'market_sync_rate_limit_waits_total',
          help: 'Times the exchange sync waited after a 429/418 answer, by exchange',
          labelNames: ['exchange'],
        }),
    ),
    gaps: onceMetric(
      'market_sync_gaps_total',
      () =>
        new Counter({
          name: 'market_sync_gaps_total',
          help: 'Gaps the exchange could not fill (bars missing between two bars it served), by exchange',
          labelNames: ['exchange'],
        }),
    ),
  };
}

/**
 * Seconds since each synced series last completed a run (since it was first seen when it never
 * did), read from market_sync_state at scrape time so that every process reports the same value.
 */
export const marketSyncLag = (collect: (g: Gauge<string>) => Promise<void>) =>
  onceMetric(
    'market_sync_lag_seconds',
    () =>
      new Gauge({
        name: 'market_sync_lag_seconds',
        help: 'Seconds since the last successful exchange sync run of each series, by exchange, symbol and timeframe',
        labelNames: ['exchange', 'symbol', 'timeframe'],
        async collect() {
          await collect(this);
        },
      }),
  );
