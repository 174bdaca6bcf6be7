import { DependencyUnavailableError, loadConfig } from '@app/platform';
import type { MarketFeed } from '@app/market';
import { StrategyNotFoundError, type StrategyService } from '@app/strategies';
import { testEnv } from '@app/testing';
import type { BacktestRecord, BacktestRepository } from '../backtest.repository';
import { BacktestRunFailure, BacktestRunner } from './backtest-runner.service';

const claimed: BacktestRecord = {
  id: 'b1',
  ownerId: 'u1',
  strategyId: 's1',
  strategyVersion: 1,
  comparisonId: null,
  status: 'running',
  progress: 0,
  tier: 'pro',
  precision: 'kline',
  exchange: 'x',
  symbol: 'A/B',
  timeframe: '1h',
  detailTimeframe: null,
  latencyMs: null,
  from: 0,
  to: 3_600_000,
  initialCapital: 1_000,
  feeRate: 0.001,
  slippageBps: 0,
  cancelRequested: false,
  attempts: 1,
  error: null,
  timings: null,
  createdAt: new Date(0),
  startedAt: new Date(5),
  finishedAt: null,
};

/** A runner whose market feed fails with `error`; the repository records what the runner did. */
function runnerFailingWith(error: Error) {
  const calls: string[] = [];
  const repo = {
    claim: () => Promise.resolve(claimed),
    finish: (_id: string, status: string, e?: { code: string }) => {
      calls.push(`finish ${status} ${e?.code}`);
      return Promise.resolve(true);
    },
    requeue: (_id: string, message: string) => Promise.resolve(void calls.push(`requeue ${message}`)),
  } as unknown as BacktestRepository;
  const strategies = { version: () => Promise.resolve({ definition: {} }) } as unknown as StrategyService;
  const feed = { instrument: () => Promise.reject(error) } as unknown as MarketFeed;
  const runner = new BacktestRunner(loadConfig(testEnv()), repo, strategies, feed);
  const run = (attempt: number) => runner.run('b1', { attempt, maxAttempts: 3, publish: () => Promise.resolve() });
  return { run, calls };
}

describe(BacktestRunner.name, () => {
  describe('when a run fails', () => {
    it('hands an infrastructure error back for a retry while attempts remain', async () => {
      const { run, calls } = runnerFailingWith(new Error('Connection terminated unexpectedly'));
      await expect(run(1)).rejects.toThrow('Connection terminated unexpectedly');
      expect(calls).toEqual(['requeue Attempt 1 failed (Connection terminated unexpectedly); retrying.']);
    });

    it('treats a dependency outage as infrastructure too', async () => {
      const { run, calls } = runnerFailingWith(new DependencyUnavailableError('database'));
      await expect(run(2)).rejects.toBeInstanceOf(DependencyUnavailableError);
      expect(calls[0]).toMatch(/^requeue Attempt 2 failed/);
    });

    it('fails the backtest on the last attempt', async () => {
      const { run, calls } = runnerFailingWith(new Error('Connection terminated unexpectedly'));
      await expect(run(3)).rejects.toThrow('Connection terminated unexpectedly');
      expect(calls).toEqual(['finish failed BACKTEST_INFRASTRUCTURE_ERROR']);
    });

    it('fails at once, without a retry, when the cause is the request itself', async () => {
      const { run, calls } = runnerFailingWith(new StrategyNotFoundError('s1', 1));
      const error = await run(1).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BacktestRunFailure);
      expect(error).toMatchObject({ code: 'STRATEGY_NOT_FOUND' });
      expect(calls).toEqual(['finish failed STRATEGY_NOT_FOUND']);
    });
  });
});
