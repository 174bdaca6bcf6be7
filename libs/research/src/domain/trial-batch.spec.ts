import { allocateCandles, runBacktest, strategyTemplates, type StrategyDefinition } from '@app/engine';
import { rankTrials, type Objective } from './objective';
import { overfittingReport } from './overfitting';
import { SeededRandom } from './random';
import { createSearch } from './search';
import type { ParamValues } from './space';
import { runTrialBatch, type TrialResult } from './trial-batch';

const DAY = 86_400_000;

/** A seeded random walk of daily bars with some trend, so SMA periods matter. */
function candles(n: number, seed: number) {
  const rng = new SeededRandom(seed);
  const s = allocateCandles(n, DAY);
  let price = 100;
  for (let i = 0; i < n; i++) {
    const o = price;
    const c = o * Math.exp(0.0004 + 0.012 * Math.sin(i / 40) * 0.1 + 0.015 * rng.normal());
    s.time[i] = Date.UTC(2020, 0, 1) + i * DAY;
    s.open[i] = o;
    s.close[i] = c;
    s.high[i] = Math.max(o, c) * (1 + 0.004 * rng.next());
    s.low[i] = Math.min(o, c) * (1 - 0.004 * rng.next());
    s.volume[i] = 1000;
    price = c;
  }
  return s;
}

const template = strategyTemplates.find((t) => t.id === 'sma-cross')!.definition;
/** What the engine's bindParams does for `{ "param": "fast" }` references, for this one template. */
const bind = (p: ParamValues): StrategyDefinition => {
  const d = structuredClone(template) as any;
  d.indicators.fast.period = p.fast;
  d.indicators.slow.period = p.slow;
  return d;
};
const settings = { initialCapital: 10_000, feeRate: 0.001, calendar: 'crypto' as const };
const objective: Objective = { metric: 'sharpe', direction: 'maximize', constraints: { minTrades: 3 } };

describe('trial batches', () => {
  const series = candles(700, 5);

  it('a grid run in batches finds the best that running every combination as a single backtest finds', () => {
    const search = createSearch(
      { fast: { type: 'int', min: 5, max: 25, step: 5 }, slow: { type: 'int', min: 20, max: 80, step: 15 } },
      [{ left: 'fast', op: '<', right: 'slow' }],
      { method: 'grid', maxTrials: 100 },
    );
    const trials: TrialResult[] = [];
    for (;;) {
      const batch = search.ask(4);
      if (batch.length === 0) break;
      const results = runTrialBatch({ bind, candles: series, precision: 'kline', settings, params: batch, objective });
      search.tell(results);
      trials.push(...results);
    }
    expect(trials.length).toBeGreaterThan(10);
    // Independently: one backtest per combination, the best Sharpe among those with ≥ 3 trades.
    let best: { params: ParamValues; sharpe: number } | null = null;
    for (let fast = 5; fast <= 25; fast += 5) {
      for (let slow = 20; slow <= 80; slow += 15) {
        if (fast >= slow) continue;
        const { metrics } = runBacktest({
          definition: bind({ fast, slow }),
          precision: 'kline',
          candles: series,
          settings,
        });
        if (metrics.tradeCount < 3 || metrics.sharpe === null) continue;
        if (!best || metrics.sharpe > best.sharpe) best = { params: { fast, slow }, sharpe: metrics.sharpe };
      }
    }
    const ranked = rankTrials(trials);
    expect(ranked[0].params).toEqual(best!.params);
    expect(ranked[0].value).toBe(best!.sharpe);
  });

  it('records a trial the engine refuses as failed, with its reason, and runs the rest', () => {
    const results = runTrialBatch({
      bind,
      candles: series,
      precision: 'kline',
      settings,
      params: [
        { fast: 10, slow: 30 },
        { fast: 0, slow: 30 },
        { fast: 15, slow: 45 },
      ],
      objective,
    });
    expect(results.map((r) => r.status)).toEqual(['done', 'failed', 'done']);
    const failed = results[1];
    expect(failed.status === 'failed' && failed.error.code).toBe('INVALID_STRATEGY');
    expect(failed.score).toBeNull();
  });

  it('keeps equity curves for the overfitting report when asked', () => {
    const params = [5, 10, 15, 20].flatMap((fast) => [30, 60].map((slow) => ({ fast, slow })));
    const results = runTrialBatch({
      bind,
      candles: series,
      precision: 'kline',
      settings,
      params,
      objective,
      keepEquity: true,
    });
    const curves = results.map((r) => (r.status === 'done' ? r.equity! : new Float64Array()));
    expect(curves.every((c) => c.length === 700)).toBe(true);
    const bestIndex = results.indexOf(rankTrials(results)[0]);
    const report = overfittingReport(curves, bestIndex, 8);
    expect(report.deflatedSharpe.inputs.trials).toBe(8);
    expect(report.pbo?.combinations).toBe(70);
    expect(report.pbo!.pbo).toBeGreaterThanOrEqual(0);
    expect(report.pbo!.pbo).toBeLessThanOrEqual(1);
  });
});
