import { runBacktest } from '../backtest';
import { toResultJson } from '../json';
import type { BacktestSettings, StrategyDefinition } from '../types';
import { bars, MINUTE, prints, signalsAt } from './fixtures';
import { simulateKline } from './kline';
import { checkSettings, resolveParams } from './params';
import { simulateTick } from './tick';

const withLevels: StrategyDefinition = {
  version: 1,
  indicators: {},
  entry: {},
  risk: { stopLossPct: 1, takeProfitPct: 2 },
  sizing: { type: 'fixedUnits', units: 1 },
};

/** Entry at bar 1's open (100); bar 2 reaches the take-profit (102); entry again at bar 4, stopped in bar 5 (99). */
const market = bars([
  [100, 100, 100, 100],
  [100, 100.5, 99.5, 100],
  [100, 103, 99.5, 102.5],
  [100, 100, 100, 100],
  [100, 100.5, 99.5, 100],
  [100, 100.5, 98, 98.5],
  [98.5, 98.5, 98.5, 98.5],
]);
const signals = signalsAt(market.time.length, { entryLong: [0, 3] });

function kline(settings: Omit<BacktestSettings, 'initialCapital'>) {
  return simulateKline(market, signals, resolveParams(withLevels, { initialCapital: 1_000, ...settings }, 'kline'));
}

describe('fee and fill models', () => {
  it('charges a take-profit the maker rate and every other fill the taker rate', () => {
    const [tp, stop] = kline({ fees: { type: 'makerTaker', makerRate: -0.0002, takerRate: 0.001 } }).trades;
    expect(tp).toMatchObject({ exitReason: 'takeProfit', entryPrice: 100, exitPrice: 102 });
    expect(tp.fees).toBeCloseTo(100 * 0.001 + 102 * -0.0002, 12);
    expect(stop).toMatchObject({ exitReason: 'stopLoss', entryPrice: 100, exitPrice: 99 });
    expect(stop.fees).toBeCloseTo(100 * 0.001 + 99 * 0.001, 12);
  });

  it('moves fills by a fixed amount on top of the bps, against the trader', () => {
    const [tp, stop] = kline({ fill: { type: 'fixedPlusBps', fixed: 0.05, bps: 10 } }).trades;
    expect(tp.entryPrice).toBeCloseTo(100 * 1.001 + 0.05, 12);
    expect(tp.exitPrice).toBeCloseTo(tp.entryPrice * 1.02 * 0.999 - 0.05, 12);
    expect(tp.slippage).toBeCloseTo(100 * 0.001 + 0.05 + tp.entryPrice * 1.02 * 0.001 + 0.05, 12);
    expect(stop.exitPrice).toBeCloseTo(stop.entryPrice * 0.99 * 0.999 - 0.05, 12);
  });

  it('charges the maker rate to a take-profit on the prints too', () => {
    const rows: [number, number, number][] = [
      [1_000, 100, 10],
      [61_000, 100, 10],
      [62_000, 101, 10],
      [63_000, 102.5, 10],
      [121_000, 102, 10],
    ];
    const trades = prints(rows);
    const candles = bars(
      [
        [100, 100, 100, 100],
        [100, 102.5, 100, 102.5],
        [102, 102, 102, 102],
      ],
      MINUTE,
    );
    const params = resolveParams(
      withLevels,
      {
        initialCapital: 1_000,
        fees: { type: 'makerTaker', makerRate: 0, takerRate: 0.002 },
        tick: { latencyMs: 0, impactCoefficient: 0 },
      },
      'tick',
    );
    const [trade] = simulateTick(candles, trades, signalsAt(3, { entryLong: [0] }), params).trades;
    expect(trade).toMatchObject({ exitReason: 'takeProfit', entryPrice: 100, exitPrice: 102.5 });
    expect(trade.fees).toBeCloseTo(100 * 0.002, 12);
  });

  it('gives the legacy fields and the models that say the same byte-identical results and fingerprints', () => {
    const definition: StrategyDefinition = { ...withLevels, entry: { long: { gt: ['close', 99] } } };
    const run = (settings: Omit<BacktestSettings, 'initialCapital'>) =>
      toResultJson(
        runBacktest({
          definition,
          precision: 'kline',
          candles: market,
          settings: { initialCapital: 1_000, ...settings },
        }),
      );
    const legacy = run({ feeRate: 0.002, slippageBps: 3 });
    expect(run({ fees: { type: 'flat', rate: 0.002 }, fill: { type: 'bps', bps: 3 } })).toBe(legacy);
    expect(run({ fees: { type: 'makerTaker', makerRate: 0.002, takerRate: 0.002 }, slippageBps: 3 })).toBe(legacy);
    expect(run({ feeRate: 0.002, fill: { type: 'fixedPlusBps', fixed: 0, bps: 3 } })).toBe(legacy);
    const makerTaker = run({ fees: { type: 'makerTaker', makerRate: 0, takerRate: 0.002 }, slippageBps: 3 });
    expect(JSON.parse(makerTaker).fingerprint).not.toBe(JSON.parse(legacy).fingerprint);
    const fixed = run({ feeRate: 0.002, fill: { type: 'fixedPlusBps', fixed: 0.01, bps: 3 } });
    expect(JSON.parse(fixed).fingerprint).not.toBe(JSON.parse(legacy).fingerprint);
  });

  it.each([
    [{ feeRate: 0.001, fees: { type: 'flat', rate: 0.001 } }, 'settings.feeRate and settings.fees exclude each other'],
    [{ fees: { type: 'tiered' } }, 'settings.fees.type must be flat or makerTaker, got "tiered"'],
    [{ fees: { type: 'makerTaker', makerRate: 0 } }, 'settings.fees needs makerRate and takerRate'],
    [{ fees: { type: 'flat', rate: -0.1 } }, 'settings.fees.rate must be a number in [0, 1), got -0.1'],
    [{ slippageBps: 1, fill: { type: 'bps', bps: 1 } }, 'settings.slippageBps and settings.fill exclude each other'],
    [
      { fill: { type: 'fixedPlusBps', bps: 1, fixed: -1 } },
      'settings.fill.fixed must be a non-negative number, got -1',
    ],
    [{ fill: { type: 'fixedPlusBps', bps: 1 } }, 'settings.fill.fixed is required'],
  ])('refuses %j', (settings, message) => {
    expect(() => checkSettings({ initialCapital: 1, ...(settings as object) })).toThrow(
      expect.objectContaining({ code: 'INVALID_SETTINGS', message }),
    );
  });
});
