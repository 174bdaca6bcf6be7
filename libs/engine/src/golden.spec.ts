import { readFileSync } from 'node:fs';
import { runBacktest } from './backtest';
import { candlesFromRows, candlesFromTrades } from './data/aggregate';
import { strategyTemplates } from './strategy/templates';
import type { BacktestResult, CandleSeries, StrategyDefinition, TradeSeries } from './types';
import { fixturePath } from '@app/testing';

/**
 * Golden results on the real data in test/fixtures. The figures were computed once by this
 * engine; the tests around them check what can be derived independently (signal bars from a
 * hand-rolled SMA, buy-and-hold from the raw closes, accounting identities), so a change in
 * any rule shows up here as a changed figure.
 */
const HOUR = 3_600_000;

function btcMinutes(): CandleSeries {
  return candlesFromRows(JSON.parse(readFileSync(fixturePath('UNITTEST_BTC-1m.json'), 'utf8')) as number[][], 60_000);
}

function xrpPrints(): TradeSeries {
  const rows = JSON.parse(readFileSync(fixturePath('XRP_ETH-trades.json'), 'utf8')) as [
    number,
    string,
    null,
    string,
    number,
    number,
  ][];
  return {
    time: Float64Array.from(rows, (r) => r[0]),
    price: Float64Array.from(rows, (r) => r[4]),
    amount: Float64Array.from(rows, (r) => r[5]),
    side: Int8Array.from(rows, (r) => (r[3] === 'buy' ? 1 : -1)),
  };
}

/** |actual / expected − 1| below 1e-9. */
function near(actual: number | null | undefined, expected: number): void {
  expect(actual).not.toBeNull();
  expect(Math.abs((actual as number) / expected - 1)).toBeLessThan(1e-9);
}

function sma(x: Float64Array, period: number): Float64Array {
  const out = new Float64Array(x.length).fill(NaN);
  for (let i = period - 1; i < x.length; i++) {
    let s = 0;
    for (let k = i - period + 1; k <= i; k++) s += x[k];
    out[i] = s / period;
  }
  return out;
}

function summary(r: BacktestResult) {
  return {
    finalEquity: r.metrics.finalEquity,
    tradeCount: r.metrics.tradeCount,
    maxDrawdownPct: r.metrics.maxDrawdownPct,
    winRatePct: r.metrics.winRatePct,
    ambiguousTrades: r.metrics.ambiguousTrades,
    reasons: r.trades.reduce<Record<string, number>>((a, t) => ((a[t.exitReason] = (a[t.exitReason] ?? 0) + 1), a), {}),
    partialFills: r.trades.reduce((a, t) => a + t.partialFills, 0),
    fingerprint: r.fingerprint,
  };
}

describe('golden results on UNITTEST_BTC-1m (kline)', () => {
  const candles = btcMinutes();
  const template = strategyTemplates.find((t) => t.id === 'sma-cross')!.definition;
  const result = runBacktest({
    definition: template,
    precision: 'kline',
    candles,
    settings: { initialCapital: 10_000 },
  });

  it('enters and exits the first trade at the opens after the first SMA(10)/SMA(30) crosses', () => {
    const fast = sma(candles.close, 10);
    const slow = sma(candles.close, 30);
    let up = -1;
    for (let i = 1; i < fast.length && up < 0; i++) if (fast[i - 1] < slow[i - 1] && fast[i] > slow[i]) up = i;
    let down = -1;
    for (let i = up + 1; i < fast.length && down < 0; i++) if (fast[i - 1] > slow[i - 1] && fast[i] < slow[i]) down = i;
    const [first] = result.trades;
    expect(first).toMatchObject({ side: 'long', entryBar: up + 1, exitBar: down + 1, exitReason: 'signal' });
    expect(first.entryPrice).toBe(candles.open[up + 1]);
    expect(first.exitPrice).toBe(candles.open[down + 1]);
  });

  it('agrees with the raw data and with its own trades', () => {
    const n = candles.close.length;
    near(result.metrics.buyAndHoldReturnPct, (candles.close[n - 1] / candles.close[0] - 1) * 100);
    near(result.metrics.finalEquity, 10_000 + result.trades.reduce((s, t) => s + t.pnl, 0));
    near(
      result.metrics.feesPaid,
      0.001 * result.trades.reduce((s, t) => s + t.units * (t.entryPrice + t.exitPrice), 0),
    );
  });

  it('keeps its key figures', () => {
    const s = summary(result);
    near(s.finalEquity, GOLDEN.btcSma.finalEquity);
    near(s.maxDrawdownPct, GOLDEN.btcSma.maxDrawdownPct);
    expect({ ...s, finalEquity: 0, maxDrawdownPct: 0 }).toEqual({
      ...GOLDEN.btcSma,
      finalEquity: 0,
      maxDrawdownPct: 0,
    });
  });

  it('marks the bar where stop and take-profit were both reachable, and widens the envelope', () => {
    const withLevels: StrategyDefinition = {
      version: 1,
      indicators: { fast: { type: 'sma', period: 10 }, slow: { type: 'sma', period: 30 } },
      entry: { long: { crossAbove: ['fast', 'slow'] }, short: { crossBelow: ['fast', 'slow'] } },
      risk: { stopLossPct: 1, takeProfitPct: 1.5, trailingStopPct: 0.8 },
      allowShort: true,
    };
    const r = runBacktest({
      definition: withLevels,
      precision: 'kline',
      candles,
      settings: { initialCapital: 10_000 },
    });
    const ambiguous = r.trades.filter((t) => t.ambiguous);
    expect(ambiguous).toHaveLength(1);
    const [t] = ambiguous;
    const dir = t.side === 'long' ? 1 : -1;
    const take = t.entryPrice * (1 + dir * 0.015);
    expect(candles.low[t.exitBar] <= take && take <= candles.high[t.exitBar]).toBe(true);
    expect(['stopLoss', 'trailingStop']).toContain(t.exitReason);
    expect(r.envelope!.ambiguousBars).toEqual([candles.time[t.exitBar]]);
    expect(r.envelope!.bestFinalEquity).toBeGreaterThan(r.envelope!.worstFinalEquity);
    near(r.envelope!.worstFinalEquity, r.metrics.finalEquity);
    const s = summary(r);
    near(s.finalEquity, GOLDEN.btcLevels.finalEquity);
    near(r.envelope!.bestFinalEquity, GOLDEN.btcLevels.bestFinalEquity);
    expect(s.reasons).toEqual(GOLDEN.btcLevels.reasons);
  });
});

describe('golden results on XRP_ETH trades, one period at three precisions', () => {
  const trades = xrpPrints();
  const hours = candlesFromTrades(trades, HOUR);
  const minutes = candlesFromTrades(trades, 60_000);
  const definition: StrategyDefinition = {
    version: 1,
    indicators: { fast: { type: 'sma', period: 3 }, slow: { type: 'sma', period: 8 } },
    entry: { long: { crossAbove: ['fast', 'slow'] }, short: { crossBelow: ['fast', 'slow'] } },
    risk: { stopLossPct: 1, takeProfitPct: 2, trailingStopPct: 0.5 },
    allowShort: true,
  };
  const settings = { initialCapital: 1 };
  const kline = runBacktest({ definition, precision: 'kline', candles: hours, settings });
  const hybrid = runBacktest({ definition, precision: 'hybrid', candles: hours, detail: [minutes], settings });
  const tick = runBacktest({ definition, precision: 'tick', candles: hours, trades, settings });

  it('builds 60 hourly and 2,469 minute bars from the 12,477 prints', () => {
    expect(hours.time.length).toBe(60);
    expect(minutes.time.length).toBe(2469);
  });

  it('opens the same positions at every precision (the signals come from the same hourly bars)', () => {
    const entries = (r: BacktestResult) => r.trades.map((t) => [t.side, t.entryBar]);
    expect(entries(hybrid)).toEqual(entries(kline));
    expect(entries(tick)).toEqual(entries(kline));
  });

  it('resolves every in-position hour on minute data', () => {
    expect(hybrid.detailCoverage).toEqual({
      ratio: 1,
      barsInPosition: hybrid.detailCoverage!.barsWithDetail,
      barsWithDetail: GOLDEN.xrp.hybridBarsWithDetail,
    });
  });

  it('fills tick orders on prints, sometimes across several of them', () => {
    const first = tick.trades[0];
    expect(first.entryTime % HOUR).toBeGreaterThanOrEqual(50);
    expect(summary(tick).partialFills).toBe(GOLDEN.xrp.tickPartialFills);
  });

  it('keeps its key figures', () => {
    near(kline.metrics.finalEquity, GOLDEN.xrp.klineFinalEquity);
    near(hybrid.metrics.finalEquity, GOLDEN.xrp.hybridFinalEquity);
    near(tick.metrics.finalEquity, GOLDEN.xrp.tickFinalEquity);
    expect([kline, hybrid, tick].map((r) => summary(r).reasons)).toEqual(GOLDEN.xrp.reasons);
    expect([kline, hybrid, tick].map((r) => r.fingerprint.slice(0, 16))).toEqual(GOLDEN.xrp.fingerprints);
  });
});

const GOLDEN = {
  btcSma: {
    finalEquity: 9584.20849466035,
    tradeCount: 281,
    maxDrawdownPct: -27.078401439521993,
    winRatePct: 32.74021352313167,
    ambiguousTrades: 0,
    reasons: { signal: 279, stopLoss: 1, end: 1 },
    partialFills: 0,
    fingerprint: 'b977bee49381f4b3fec76254b1a065e45b2863eaa546aeb22bd4b5eafc0c1407',
  },
  btcLevels: {
    finalEquity: 2493.6758250993994,
    bestFinalEquity: 2521.906949206162,
    reasons: { signal: 133, trailingStop: 356, takeProfit: 72 },
  },
  xrp: {
    hybridBarsWithDetail: 12,
    tickPartialFills: 69,
    klineFinalEquity: 0.9807418866174704,
    hybridFinalEquity: 0.9715130705135279,
    tickFinalEquity: 0.9590960816144546,
    reasons: [{ trailingStop: 8 }, { trailingStop: 8 }, { trailingStop: 8 }],
    fingerprints: ['5a56a61f72b9f7d3', 'dcaf7ca078edfdb1', '3d4d0d7f55c19c74'],
  },
};
