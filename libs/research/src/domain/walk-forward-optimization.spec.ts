import {
  allocateCandles,
  runBacktest,
  strategyTemplates,
  type CandleSeries,
  type StrategyDefinition,
} from '@app/engine';
import { SeededRandom } from './random';
import type { ParamValues } from './space';
import { planWalkForward } from './walk-forward';
import { runWalkForwardOptimization } from './walk-forward-optimization';

const DAY = 86_400_000;

function walk(n: number, seed: number): CandleSeries {
  const rng = new SeededRandom(seed);
  const s = allocateCandles(n, DAY);
  let price = 100;
  for (let i = 0; i < n; i++) {
    const o = price;
    const c = o * Math.exp(0.0003 + 0.015 * rng.normal());
    s.time[i] = Date.UTC(2020, 0, 1) + i * DAY;
    s.open[i] = o;
    s.close[i] = c;
    s.high[i] = Math.max(o, c) * 1.002;
    s.low[i] = Math.min(o, c) * 0.998;
    s.volume[i] = 1000;
    price = c;
  }
  return s;
}

const template = strategyTemplates.find((t) => t.id === 'sma-cross')!.definition;
const bind = (p: ParamValues): StrategyDefinition => {
  const d = structuredClone(template) as any;
  d.indicators.fast.period = p.fast;
  d.indicators.slow.period = p.slow;
  return d;
};

describe('walk-forward optimisation', () => {
  const candles = walk(3 * 365, 8);
  const windows = planWalkForward(
    { mode: 'rolling', inSample: 'P1Y', outOfSample: 'P6M' },
    candles.time[0],
    candles.time[candles.time.length - 1] + DAY,
  );
  const input = {
    bind,
    candles,
    precision: 'kline' as const,
    settings: { initialCapital: 10_000, feeRate: 0.001, calendar: 'crypto' as const },
    objective: { metric: 'totalReturnPct', direction: 'maximize' as const },
    space: {
      fast: { type: 'int' as const, min: 5, max: 25, step: 5 },
      slow: { type: 'int' as const, min: 30, max: 90, step: 20 },
    },
    constraints: [],
    search: { method: 'grid' as const, maxTrials: 100 },
    windows,
    batchSize: 5,
  };

  it('chooses per window on in-sample bars, runs the winner out of sample and stitches the result', () => {
    const result = runWalkForwardOptimization(input);
    expect(result.windows).toHaveLength(windows.length);
    for (const w of result.windows) {
      expect(w.trials).toBe(20);
      expect(w.params).not.toBeNull();
      // The out-of-sample metrics are those of a plain backtest of the winner on the window's bars.
      const start = candles.time.findIndex((t) => t >= w.window.outOfSample.from);
      let end = candles.time.findIndex((t) => t >= w.window.outOfSample.to);
      if (end < 0) end = candles.time.length;
      const single = runBacktest({
        definition: bind(w.params!),
        precision: 'kline',
        candles: {
          ...candles,
          time: candles.time.slice(start, end),
          open: candles.open.slice(start, end),
          high: candles.high.slice(start, end),
          low: candles.low.slice(start, end),
          close: candles.close.slice(start, end),
          volume: candles.volume.slice(start, end),
        },
        settings: input.settings,
      });
      expect(w.outOfSample).toEqual(single.metrics);
    }
    const product = result.windows.reduce((acc, w) => acc * (1 + w.outOfSample!.totalReturnPct / 100), 1);
    expect(result.stitched.totalReturnPct).toBeCloseTo((product - 1) * 100, 8);
    expect(result.stability.map((s) => s.param)).toEqual(['fast', 'slow']);
  });

  it("changing bars after a window's in-sample end does not change that window's choice", () => {
    const original = runWalkForwardOptimization(input);
    const rng = new SeededRandom(3);
    const w = windows[1];
    const altered = structuredClone(candles);
    for (let i = 0; i < altered.time.length; i++) {
      if (altered.time[i] >= w.inSample.to) {
        const f = Math.exp(0.2 * rng.normal());
        altered.open[i] *= f;
        altered.high[i] *= f * 1.01;
        altered.low[i] *= f * 0.99;
        altered.close[i] *= f;
      }
    }
    const rerun = runWalkForwardOptimization({ ...input, candles: altered });
    for (const [i, r] of rerun.windows.entries()) {
      if (r.window.inSample.to <= w.inSample.to) {
        expect(r.params).toEqual(original.windows[i].params);
        expect(r.inSample).toEqual(original.windows[i].inSample);
      }
    }
    // The data change is real: some later window's out-of-sample result moved.
    expect(rerun.windows.map((r) => r.outOfSample?.totalReturnPct)).not.toEqual(
      original.windows.map((r) => r.outOfSample?.totalReturnPct),
    );
  });
});
