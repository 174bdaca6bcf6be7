import fc from 'fast-check';
import type { Trade } from '../types';
import { periodsPerYear, YEAR_MS } from './calendar';
import { downsampleEquity } from './downsample';
import { computeMetrics, type MetricsInput } from './metrics';

const DAY = 86_400_000;

function trade(pnl: number, pnlPct: number, entryBar: number, exitBar: number, extra: Partial<Trade> = {}): Trade {
  return {
    side: 'long',
    entryTime: entryBar * DAY,
    entryPrice: 100,
    exitTime: exitBar * DAY,
    exitPrice: 100 + pnlPct,
    entryBar,
    exitBar,
    units: 1,
    pnl,
    pnlPct,
    fees: 0.5,
    slippage: 0.25,
    exitReason: 'signal',
    ambiguous: false,
    partialFills: 0,
    ...extra,
  };
}

function input(equity: number[], trades: Trade[] = [], extra: Partial<MetricsInput> = {}): MetricsInput {
  return {
    initialCapital: 100,
    equity: Float64Array.from(equity),
    time: Float64Array.from(equity.map((_, i) => i * DAY)),
    timeframeMs: DAY,
    firstClose: 50,
    lastClose: 60,
    trades,
    barsInPosition: 2,
    periodsPerYear: 365,
    ...extra,
  };
}

describe('computeMetrics', () => {
  const equity = [110, 99, 121, 121];
  const trades = [trade(10, 10, 0, 1), trade(-5, -5, 1, 3, { ambiguous: true }), trade(20, 20, 3, 3)];
  const m = computeMetrics(input(equity, trades));

  it('measures returns from the initial capital to the last equity', () => {
    expect(m.finalEquity).toBe(121);
    expect(m.totalReturnPct).toBeCloseTo(21, 12);
    const years = (4 * DAY) / YEAR_MS;
    expect(m.cagrPct).toBeCloseTo((Math.pow(1.21, 1 / years) - 1) * 100, 6);
  });

  it('annualises the per-bar returns with the periods per year', () => {
    const r = [0.1, -0.1, 0.2222222222222222, 0];
    const mean = r.reduce((a, b) => a + b) / 4;
    const std = Math.sqrt(r.reduce((a, b) => a + (b - mean) ** 2, 0) / 3);
    const downside = Math.sqrt(0.01 / 4);
    expect(m.volatilityAnnPct).toBeCloseTo(std * Math.sqrt(365) * 100, 9);
    expect(m.sharpe).toBeCloseTo((mean / std) * Math.sqrt(365), 9);
    expect(m.sortino).toBeCloseTo((mean / downside) * Math.sqrt(365), 9);
  });

  it('reads drawdowns as negative percentages from the running peak', () => {
    expect(m.maxDrawdownPct).toBeCloseTo(-10, 12);
    expect(m.maxDrawdownDurationBars).toBe(1);
    expect(m.avgDrawdownPct).toBeCloseTo(-10, 12);
    expect(m.calmar! / (m.cagrPct! / 10)).toBeCloseTo(1, 12);
  });

  it('counts a drawdown from the initial capital and one that never recovers', () => {
    const d = computeMetrics(input([90, 95, 100, 80, 85]));
    expect(d.maxDrawdownPct).toBeCloseTo(-20, 12);
    expect(d.maxDrawdownDurationBars).toBe(2);
    expect(d.avgDrawdownPct).toBeCloseTo((-10 + -20) / 2, 12);
  });

  it('summarises the trades', () => {
    expect(m.tradeCount).toBe(3);
    expect(m.winRatePct).toBeCloseTo(200 / 3, 12);
    expect(m.profitFactor).toBeCloseTo(6, 12);
    expect(m.expectancyPct).toBeCloseTo(25 / 3, 12);
    expect(m.avgTradePct).toBeCloseTo((Math.cbrt(1.1 * 0.95 * 1.2) - 1) * 100, 9);
    expect(m.bestTradePct).toBe(20);
    expect(m.worstTradePct).toBe(-5);
    expect(m.avgTradeDurationBars).toBe(1);
    expect(m.maxTradeDurationBars).toBe(2);
    const mean = 25 / 3;
    const std = Math.sqrt(((10 - mean) ** 2 + (-5 - mean) ** 2 + (20 - mean) ** 2) / 2);
    expect(m.sqn).toBeCloseTo(Math.sqrt(3) * (mean / std), 12);
    expect(m.feesPaid).toBe(1.5);
    expect(m.slippagePaid).toBe(0.75);
    expect(m.ambiguousTrades).toBe(1);
  });

  it('reports exposure and buy-and-hold', () => {
    expect(m.exposurePct).toBe(50);
    expect(m.buyAndHoldReturnPct).toBeCloseTo(20, 12);
  });

  it('caps the SQN sample at 100 trades', () => {
    const many = Array.from({ length: 400 }, (_, k) => trade(k % 2 === 0 ? 2 : -1, k % 2 === 0 ? 2 : -1, 0, 1));
    const s = computeMetrics(input(equity, many)).sqn!;
    const std = Math.sqrt((400 * 2.25) / 399);
    expect(s).toBeCloseTo(10 * (0.5 / std), 12);
  });

  it('gives null, not Infinity or NaN, for undefined figures', () => {
    const flat = computeMetrics(input([100, 100, 100]));
    expect(flat).toMatchObject({
      sharpe: null,
      sortino: null,
      calmar: null,
      profitFactor: null,
      winRatePct: null,
      expectancyPct: null,
      avgTradePct: null,
      bestTradePct: null,
      worstTradePct: null,
      avgTradeDurationBars: null,
      maxTradeDurationBars: null,
      sqn: null,
      maxDrawdownPct: 0,
      avgDrawdownPct: 0,
      volatilityAnnPct: 0,
    });
    const winnersOnly = computeMetrics(input(equity, [trade(1, 1, 0, 1)]));
    expect(winnersOnly.profitFactor).toBeNull();
    expect(winnersOnly.sqn).toBeNull();
  });

  it('never puts NaN or Infinity into the figures', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -50, max: 500, noNaN: true }), { minLength: 0, maxLength: 30 }),
        fc.array(fc.double({ min: -100, max: 300, noNaN: true }), { maxLength: 10 }),
        (curve, pcts) => {
          const metrics = computeMetrics(
            input(
              curve,
              pcts.map((p) => trade(p, p, 0, 1)),
            ),
          );
          for (const value of Object.values(metrics)) {
            if (value !== null) expect(Number.isFinite(value)).toBe(true);
          }
        },
      ),
    );
  });
});

describe('periodsPerYear', () => {
  it.each([
    ['crypto', 3_600_000, 8760],
    ['crypto', DAY, 365],
    ['crypto', 60_000, 525_600],
    ['equity', DAY, 252],
    ['equity', 3_600_000, 1638],
    ['equity', 7 * DAY, 50.4],
  ] as const)('%s with %i ms bars has %d periods', (calendar, tf, expected) => {
    expect(periodsPerYear(calendar, tf)).toBeCloseTo(expected, 9);
  });
});

describe('downsampleEquity', () => {
  it('keeps a short curve as it is', () => {
    const d = downsampleEquity([1, 2, 3], [10, 20, 15]);
    expect(Array.from(d.time)).toEqual([1, 2, 3]);
    expect(Array.from(d.equity)).toEqual([10, 20, 15]);
  });

  it('keeps at most 2,000 points, the first, the last and the extremes, in time order', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2001, max: 30_000 }),
        fc.integer({ min: 1, max: 2 ** 31 }),
        fc.integer({ min: 0, max: 100 }),
        (n, seed, maxPoints) => {
          let x = seed;
          const equity = new Float64Array(n);
          for (let i = 0; i < n; i++) {
            x = (x * 1103515245 + 12345) % 2147483648;
            equity[i] = 1000 + (x % 1000) - 500;
          }
          const time = Float64Array.from({ length: n }, (_, i) => i * 60_000);
          const limit = 10 + maxPoints * 20;
          const d = downsampleEquity(time, equity, limit);
          expect(d.time.length).toBeLessThanOrEqual(limit);
          expect(d.time[0]).toBe(0);
          expect(d.time[d.time.length - 1]).toBe((n - 1) * 60_000);
          expect(Math.max(...d.equity)).toBe(Math.max(...equity));
          expect(Math.min(...d.equity)).toBe(Math.min(...equity));
          for (let k = 1; k < d.time.length; k++) expect(d.time[k]).toBeGreaterThan(d.time[k - 1]);
          for (let k = 0; k < d.time.length; k++) expect(d.equity[k]).toBe(equity[d.time[k] / 60_000]);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('serialises to plain JSON arrays', () => {
    expect(JSON.stringify(downsampleEquity([1, 2], [3, 4]))).toBe('{"time":[1,2],"equity":[3,4]}');
  });
});
