import { candlesFromTrades } from '../data/aggregate';
import { MINUTE, prints, signalsAt, simParams, type DefinitionPart, type SignalIndices } from './fixtures';
import { simulateTick } from './tick';

type Row = [number, number, number];

/** Bar 0 = [0, 60 s), bar 1 = [60 s, 120 s), bar 2 = [120 s, 180 s). */
const market: Row[] = [
  [1_000, 100, 10],
  [30_000, 100, 10],
  [60_010, 101, 5],
  [60_060, 102, 3],
  [60_070, 103, 4],
  [61_000, 104, 10],
  [120_100, 105, 10],
  [150_000, 106, 10],
];

function tick(
  rows: Row[],
  at: SignalIndices,
  definition: DefinitionPart,
  settings: Parameters<typeof simParams>[1] = {},
) {
  const trades = prints(rows);
  const candles = candlesFromTrades(trades, MINUTE);
  return simulateTick(candles, trades, signalsAt(candles.time.length, at), simParams(definition, settings, 'tick'));
}

const twoUnits: DefinitionPart = { sizing: { type: 'fixedUnits', units: 2 } };

describe('simulateTick', () => {
  it('fills a market order on the first print at or after the bar close plus the latency', () => {
    const [trade] = tick(market, { entryLong: [0] }, twoUnits, { latencyMs: 50 }).trades;
    expect(trade).toMatchObject({ entryPrice: 102, entryTime: 60_060, entryBar: 1, units: 2, partialFills: 0 });
  });

  it('fills on the first print after the close without latency', () => {
    const [trade] = tick(market, { entryLong: [0] }, twoUnits, { latencyMs: 0 }).trades;
    expect(trade).toMatchObject({ entryPrice: 101, entryTime: 60_010 });
  });

  it('fills at most each print amount and continues on later prints', () => {
    const [trade] = tick(
      market,
      { entryLong: [0] },
      { sizing: { type: 'fixedUnits', units: 10 } },
      {
        latencyMs: 50,
        initialCapital: 10_000,
      },
    ).trades;
    // 3 @ 102, 4 @ 103, 3 @ 104.
    expect(trade.units).toBe(10);
    expect(trade.entryPrice).toBeCloseTo((3 * 102 + 4 * 103 + 3 * 104) / 10, 12);
    expect(trade.entryTime).toBe(60_060);
    expect(trade.partialFills).toBe(2);
  });

  it('counts the prints of the exit as partial fills too', () => {
    const rows: Row[] = [...market, [180_000, 107, 1], [180_500, 108, 1]];
    const [trade] = tick(rows, { entryLong: [0], exitLong: [2] }, twoUnits, { latencyMs: 0 }).trades;
    expect(trade).toMatchObject({
      exitReason: 'signal',
      exitPrice: 107.5,
      exitTime: 180_500,
      exitBar: 3,
      partialFills: 1,
    });
  });

  it('never buys more than the cash pays for and drops the rest of the order', () => {
    const [trade] = tick(
      market,
      { entryLong: [0] },
      { sizing: { type: 'fixedUnits', units: 10 } },
      {
        latencyMs: 50,
        initialCapital: 500,
      },
    ).trades;
    // 3 @ 102 = 306, then 194 buys 194 / 103 units of the next print.
    expect(trade.units).toBeCloseTo(3 + 194 / 103, 12);
    expect(trade.partialFills).toBe(1);
  });

  it('moves every fill of a leg by the square-root impact estimated from the prints before it', () => {
    const rows: Row[] = [
      [1_000, 100, 10],
      [2_000, 101, 10],
      [59_000, 100, 10],
      [60_000, 100, 100],
      [90_000, 100, 1],
    ];
    const run = tick(
      rows,
      { entryLong: [0] },
      { sizing: { type: 'fixedUnits', units: 5 } },
      {
        latencyMs: 0,
        impactCoefficient: 0.5,
        impactLookbackMs: 60_000,
      },
    );
    // Window [0, 60 s): amounts 30; returns +1 %, −1/101.
    const sigma = Math.sqrt(0.01 ** 2 + (1 / 101) ** 2);
    const impact = 0.5 * sigma * Math.sqrt(5 / 30);
    expect(run.trades[0].entryPrice).toBeCloseTo(100 * (1 + impact), 12);
    expect(run.trades[0].slippage).toBeCloseTo(5 * 100 * impact, 9);
  });

  it('triggers the stop on the first print through the level and fills at that print', () => {
    const rows: Row[] = [
      [1_000, 100, 10],
      [60_000, 100, 10],
      [61_000, 97, 10],
      [62_000, 96, 10],
      [63_000, 94.9, 10],
      [64_000, 94, 10],
    ];
    const run = tick(rows, { entryLong: [0] }, { ...twoUnits, risk: { stopLossPct: 5 } });
    expect(run.trades[0]).toMatchObject({ exitReason: 'stopLoss', exitPrice: 94.9, exitTime: 63_000, exitBar: 1 });
  });

  it('takes profit on the first print through the level', () => {
    const rows: Row[] = [
      [1_000, 100, 10],
      [60_000, 100, 10],
      [61_000, 104, 10],
      [62_000, 105.5, 10],
      [63_000, 106, 10],
    ];
    const run = tick(rows, { entryLong: [0] }, { ...twoUnits, risk: { takeProfitPct: 5 } });
    expect(run.trades[0]).toMatchObject({ exitReason: 'takeProfit', exitPrice: 105.5, exitTime: 62_000 });
  });

  it('trails the stop print by print', () => {
    const rows: Row[] = [
      [1_000, 100, 10],
      [60_000, 100, 10],
      [61_000, 111, 10],
      [62_000, 100.5, 10],
      [63_000, 99.8, 10],
    ];
    const run = tick(rows, { entryShort: [0] }, { ...twoUnits, allowShort: true, risk: { trailingStopPct: 10 } });
    expect(run.trades[0]).toMatchObject({ side: 'short', exitReason: 'trailingStop', exitPrice: 111 });
    const longRun = tick(rows, { entryLong: [0] }, { ...twoUnits, risk: { trailingStopPct: 10 } });
    expect(longRun.trades[0]).toMatchObject({ exitReason: 'trailingStop', exitPrice: 99.8, exitTime: 63_000 });
  });

  it('reverses on the same prints: the close first, then the open', () => {
    const rows: Row[] = [...market, [180_000, 107, 1], [180_500, 108, 10]];
    const run = tick(rows, { entryLong: [0], entryShort: [2] }, { ...twoUnits, allowShort: true }, { latencyMs: 0 });
    expect(run.trades).toHaveLength(2);
    expect(run.trades[0]).toMatchObject({ side: 'long', exitReason: 'signal', exitPrice: 107.5, partialFills: 1 });
    expect(run.trades[1]).toMatchObject({ side: 'short', entryPrice: 108, entryTime: 180_500, exitReason: 'end' });
  });

  it('closes a position at the last candle close at the end', () => {
    const run = tick(market, { entryLong: [0] }, twoUnits, { latencyMs: 50 });
    expect(run.trades[0]).toMatchObject({ exitReason: 'end', exitPrice: 106, exitBar: 2, exitTime: 180_000 });
    expect(run.finalEquity).toBeCloseTo(1000 + 2 * (106 - 102), 9);
  });

  it('charges the fee on every partial fill', () => {
    const [trade] = tick(
      market,
      { entryLong: [0] },
      { sizing: { type: 'fixedUnits', units: 10 } },
      {
        latencyMs: 50,
        feeRate: 0.01,
        initialCapital: 10_000,
      },
    ).trades;
    expect(trade.fees).toBeCloseTo(0.01 * (3 * 102 + 4 * 103 + 3 * 104) + 0.01 * 10 * 106, 9);
  });
});
