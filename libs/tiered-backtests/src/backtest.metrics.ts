import { Counter, Histogram } from 'prom-client';
import { onceMetric } from '@app/platform';

export const backtestsSubmitted = () =>
  onceMetric(
    'backtests_submitted_total',
    () =>
      new Counter({
        name: 'backtests_submitted_total',
        help: 'Backtests accepted for running, by tier and precision',
        labelNames: ['tier', 'precision'],
      }),
  );

export const backtestsRejected = () =>
  onceMetric(
    'backtests_rejected_total',
    () =>
      new Counter({
        name: 'backtests_rejected_total',
        help: 'Backtest submissions refused by a tier limit, the daily quota or the concurrency limit, by code',
        labelNames: ['tier', 'code'],
      }),
  );

export const backtestsFinished = () =>
  onceMetric(
    'backtests_finished_total',
    () =>
      new Counter({
        name: 'backtests_finished_total',
        help: 'Backtests that ended, by tier, precision and outcome (completed, failed, cancelled)',
        labelNames: ['tier', 'precision', 'outcome'],
      }),
  );

export const backtestRunDuration = () =>
  onceMetric(
    'backtest_run_duration_seconds',
    () =>
      new Histogram({
        name: 'backtest_run_duration_seconds',
        help: 'Time from a worker taking a backtest to its stored result (load, engine, store), by precision',
        labelNames: ['precision'],
        buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      }),
  );

export const backtestQueueWait = () =>
  onceMetric(
    'backtest_queue_wait_seconds',
    () =>
      new Histogram({
        name: 'backtest_queue_wait_seconds',
        help: 'Time a backtest waited between submission and a worker taking it, by tier',
        labelNames: ['tier'],
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      }),
  );

export const engineBarsPerSecond = () =>
  onceMetric(
    'backtest_engine_bars_per_second',
    () =>
      new Histogram({
        name: 'backtest_engine_bars_per_second',
        help: 'Engine speed of each run: base bars simulated per second of engine time, by precision',
        labelNames: ['precision'],
        buckets: [1e4, 1e5, 2.5e5, 5e5, 1e6, 2.5e6, 5e6, 1e7, 2.5e7],
      }),
  );
