import type { BacktestMetrics, Trade } from '@app/engine';
import { compareRuns, PrecisionRun } from './compare';

const trade = (over: Partial<Trade>): Trade => ({
  side: 'long',
  entryTime: 60_000,
  entryPrice: 100,
  exitTime: 180_000,
  exitPrice: 101,
  entryBar: 1,
  exitBar: 3,
  units: 1,
  pnl: 1,
  pnlPct: 1,
  fees: 0,
  slippage: 0,
  exitReason: 'signal',
  ambiguous: false,
  partialFills: 0,
  ...over,
});
const metrics = (finalEquity: number) => ({ finalEquity }) as BacktestMetrics;
const run = (
  precision: PrecisionRun['precision'],
  trades: Trade[],
  extra: Partial<PrecisionRun> = {},
): PrecisionRun => ({
  precision,
  metrics: metrics(1_000 + trades.reduce((s, t) => s + t.pnl, 0)),
  envelope: null,
  detailCoverage: null,
  trades,
  ...extra,
});

describe(compareRuns.name, () => {
  it('shows how finer data resolved a bar kline had to guess', () => {
    const report = compareRuns([
      run('kline', [trade({ exitReason: 'stopLoss', exitPrice: 98, pnl: -2, ambiguous: true })]),
      run('hybrid', [trade({ exitReason: 'takeProfit', exitPrice: 103, pnl: 3 })], {
        detailCoverage: { ratio: 0.5, barsInPosition: 2, barsWithDetail: 1 },
      }),
    ]);
    expect(report.summary).toMatchObject({ ambiguousBars: 1, resolvedDifferently: 1, fillPriceDifferences: 1 });
    expect(report.differences[0]).toMatchObject({
      kind: 'ambiguousBar',
      barTime: '1970-01-01T00:03:00.000Z',
      resolvedDifferently: true,
      outcomes: { kline: { exitReason: 'stopLoss' }, hybrid: { exitReason: 'takeProfit' } },
    });
    expect(report.differences).toContainEqual(
      expect.objectContaining({ kind: 'fillPrice', leg: 'exit', prices: { kline: 98, hybrid: 103 } }),
    );
    expect(report.explanation.join(' ')).toMatch(/1 of them ended differently/);
    expect(report.explanation.join(' ')).toMatch(/detail data for 50.0%/);
  });

  it('matches tick fills by entry bar, and reports partial fills and unmatched trades', () => {
    const report = compareRuns([
      run('kline', [trade({}), trade({ entryBar: 7, entryTime: 420_000 })]),
      run('tick', [trade({ entryTime: 60_412, entryPrice: 100.2, partialFills: 3 })]),
    ]);
    expect(report.summary).toMatchObject({ fillPriceDifferences: 1, partialFills: 1, unmatchedTrades: 1 });
    expect(report.differences).toContainEqual(
      expect.objectContaining({ kind: 'fillPrice', leg: 'entry', spreadBps: expect.closeTo(20, 6) }),
    );
    expect(report.differences).toContainEqual({
      kind: 'partialFill',
      precision: 'tick',
      side: 'long',
      entryTime: '1970-01-01T00:01:00.412Z',
      extraPrints: 3,
    });
  });

  it('says so when the precisions agree', () => {
    const report = compareRuns([run('kline', [trade({})]), run('hybrid', [trade({})])]);
    expect(report.differences).toEqual([]);
    expect(report.explanation[1]).toMatch(/agree/);
  });
});
