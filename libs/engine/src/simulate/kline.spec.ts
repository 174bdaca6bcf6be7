import type { Trade } from '../types';
import { bars, type DefinitionPart, MINUTE, signalsAt, type SignalIndices, simParams } from './fixtures';
import { simulateKline } from './kline';

type Expected = Pick<Trade, 'side' | 'entryBar' | 'entryPrice' | 'exitBar' | 'exitPrice' | 'exitReason'> & {
  ambiguous?: boolean;
};

interface Scenario {
  name: string;
  bars: number[][];
  signals: SignalIndices;
  definition?: DefinitionPart;
  settings?: { feeRate?: number; slippageBps?: number; initialCapital?: number };
  trades: Expected[];
}

const rising = [
  [100, 101, 99, 100],
  [102, 103, 101, 102],
  [104, 105, 103, 104],
  [106, 107, 105, 106],
];

const long = (
  entryBar: number,
  entryPrice: number,
  exitBar: number,
  exitPrice: number,
  exitReason: Trade['exitReason'],
) => ({ side: 'long', entryBar, entryPrice, exitBar, exitPrice, exitReason }) as const;
const short = (
  entryBar: number,
  entryPrice: number,
  exitBar: number,
  exitPrice: number,
  exitReason: Trade['exitReason'],
) => ({ side: 'short', entryBar, entryPrice, exitBar, exitPrice, exitReason }) as const;

const scenarios: Scenario[] = [
  {
    name: 'fills a signal decided at a close at the next bar open',
    bars: rising,
    signals: { entryLong: [0], exitLong: [2] },
    trades: [long(1, 102, 3, 106, 'signal')],
  },
  {
    name: 'closes a position still open at the last close with reason end',
    bars: rising,
    signals: { entryLong: [0] },
    trades: [long(1, 102, 3, 106, 'end')],
  },
  {
    name: 'ignores a signal on the last bar, which has no next open',
    bars: rising,
    signals: { entryLong: [3] },
    trades: [],
  },
  {
    name: 'stops out inside a bar at the stop level',
    bars: [
      [100, 100, 100, 100],
      [100, 101, 99, 100],
      [99, 100, 94, 96],
      [96, 97, 95, 96],
    ],
    signals: { entryLong: [0] },
    definition: { risk: { stopLossPct: 5 } },
    trades: [long(1, 100, 2, 95, 'stopLoss')],
  },
  {
    name: 'fills a stop at the open when the bar gaps through it',
    bars: [
      [100, 100, 100, 100],
      [100, 101, 99, 100],
      [90, 92, 88, 91],
      [91, 92, 90, 91],
    ],
    signals: { entryLong: [0] },
    definition: { risk: { stopLossPct: 5 } },
    trades: [long(1, 100, 2, 90, 'stopLoss')],
  },
  {
    name: 'takes profit inside a bar at the level, and at the open on a gap up',
    bars: [
      [100, 100, 100, 100],
      [100, 101, 99, 100],
      [105, 112, 104, 108],
      [100, 100, 100, 100],
      [100, 101, 99, 100],
      [115, 116, 114, 115],
    ],
    signals: { entryLong: [0, 3] },
    definition: { risk: { takeProfitPct: 10 } },
    trades: [long(1, 100, 2, 110, 'takeProfit'), long(4, 100, 5, 115, 'takeProfit')],
  },
  {
    name: 'applies the levels on the entry bar after the fill at its open',
    bars: [
      [100, 100, 100, 100],
      [100, 101, 94, 96],
      [96, 97, 95, 96],
    ],
    signals: { entryLong: [0] },
    definition: { risk: { stopLossPct: 5 } },
    trades: [long(1, 100, 1, 95, 'stopLoss')],
  },
  {
    name: 'assumes the stop came first when stop and take-profit are both in one bar, and marks the trade ambiguous',
    bars: [
      [100, 100, 100, 100],
      [100, 101, 99, 100],
      [100, 111, 94, 100],
      [100, 101, 99, 100],
    ],
    signals: { entryLong: [0] },
    definition: { risk: { stopLossPct: 5, takeProfitPct: 10 } },
    trades: [{ ...long(1, 100, 2, 95, 'stopLoss'), ambiguous: true }],
  },
  {
    name: 'assumes the stop came first for a short as well (high before low)',
    bars: [
      [100, 100, 100, 100],
      [100, 101, 99, 100],
      [100, 106, 89, 100],
      [100, 101, 99, 100],
    ],
    signals: { entryShort: [0] },
    definition: { allowShort: true, risk: { stopLossPct: 5, takeProfitPct: 10 } },
    trades: [{ ...short(1, 100, 2, 105, 'stopLoss'), ambiguous: true }],
  },
  {
    name: 'reverses a long into a short at the same fill with reverseOnSignal',
    bars: [...rising, [108, 109, 107, 108]],
    signals: { entryLong: [0], entryShort: [2] },
    definition: { allowShort: true, reverseOnSignal: true },
    trades: [long(1, 102, 3, 106, 'signal'), short(3, 106, 4, 108, 'end')],
  },
  {
    name: 'ignores the opposite entry without reverseOnSignal until an exit',
    bars: [...rising, [108, 109, 107, 108], [110, 111, 109, 110]],
    signals: { entryLong: [0], entryShort: [2, 4], exitLong: [3] },
    definition: { allowShort: true, reverseOnSignal: false },
    trades: [long(1, 102, 4, 108, 'signal'), short(5, 110, 5, 110, 'end')],
  },
  {
    name: 'ignores short signals without allowShort, even with reverseOnSignal',
    bars: rising,
    signals: { entryLong: [0], entryShort: [1, 2] },
    definition: { reverseOnSignal: true },
    trades: [long(1, 102, 3, 106, 'end')],
  },
  {
    name: 'enters nothing on conflicting long and short entries',
    bars: rising,
    signals: { entryLong: [0], entryShort: [0] },
    definition: { allowShort: true },
    trades: [],
  },
  {
    name: 'does not enter when the entry and exit of the same side fire together',
    bars: rising,
    signals: { entryLong: [0], exitLong: [0] },
    trades: [],
  },
  {
    name: 'trades a short from its signals',
    bars: [
      [100, 101, 99, 100],
      [98, 99, 97, 98],
      [96, 97, 95, 96],
      [94, 95, 93, 94],
    ],
    signals: { entryShort: [0], exitShort: [2] },
    definition: { allowShort: true },
    trades: [short(1, 98, 3, 94, 'signal')],
  },
  {
    name: 'trails the stop with the high after checking the low against the level in force',
    bars: [
      [100, 100, 100, 100],
      [100, 120, 99, 118],
      [118, 119, 107, 110],
    ],
    signals: { entryLong: [0] },
    definition: { risk: { trailingStopPct: 10 } },
    trades: [long(1, 100, 2, 108, 'trailingStop')],
  },
  {
    name: 'exits on the trailing level raised in the same bar when the close is below it',
    bars: [
      [100, 100, 100, 100],
      [100, 120, 99, 105],
      [105, 106, 104, 105],
    ],
    signals: { entryLong: [0] },
    definition: { risk: { trailingStopPct: 10 } },
    trades: [long(1, 100, 1, 108, 'trailingStop')],
  },
  {
    name: 'reports stopLoss while the fixed stop is tighter than the trailing level',
    bars: [
      [100, 100, 100, 100],
      [100, 102, 94, 96],
    ],
    signals: { entryLong: [0] },
    definition: { risk: { stopLossPct: 5, trailingStopPct: 10 } },
    trades: [long(1, 100, 1, 95, 'stopLoss')],
  },
  {
    name: 'trails a short stop with the low',
    bars: [
      [100, 100, 100, 100],
      [100, 101, 80, 82],
      [82, 89, 81, 85],
    ],
    signals: { entryShort: [0] },
    definition: { allowShort: true, risk: { trailingStopPct: 10 } },
    trades: [short(1, 100, 2, 88, 'trailingStop')],
  },
  {
    name: 'closes after maxBarsInTrade bars at the next open',
    bars: [...rising, [108, 109, 107, 108], [110, 111, 109, 110]],
    signals: { entryLong: [0] },
    definition: { risk: { maxBarsInTrade: 2 } },
    trades: [long(1, 102, 3, 106, 'maxBars')],
  },
  {
    name: 'prefers the exit signal over maxBarsInTrade when both fall on one close',
    bars: rising,
    signals: { entryLong: [0], exitLong: [2] },
    definition: { risk: { maxBarsInTrade: 2 } },
    trades: [long(1, 102, 3, 106, 'signal')],
  },
  {
    name: 're-enters on the next open after a stop when the entry signal holds at that close',
    bars: [
      [100, 100, 100, 100],
      [100, 101, 94, 96],
      [96, 97, 95, 96],
      [97, 98, 96, 97],
    ],
    signals: { entryLong: [0, 1] },
    definition: { risk: { stopLossPct: 5 } },
    trades: [long(1, 100, 1, 95, 'stopLoss'), long(2, 96, 3, 97, 'end')],
  },
  {
    name: 'moves market fills by the slippage against the trader, stop fills too',
    bars: [
      [100, 100, 100, 100],
      [100, 101, 99, 100],
      [99, 100, 94, 96],
    ],
    signals: { entryLong: [0] },
    settings: { slippageBps: 10 },
    definition: { risk: { stopLossPct: 5 } },
    // Entry 100 × 1.001; stop level 100.1 × 0.95 = 95.095, sold at 95.095 × 0.999.
    trades: [long(1, 100.1, 2, 100.1 * 0.95 * 0.999, 'stopLoss')],
  },
  {
    name: 'moves a short entry down and its cover up by the slippage',
    bars: [
      [100, 100, 100, 100],
      [100, 101, 99, 100],
      [90, 91, 89, 90],
    ],
    signals: { entryShort: [0], exitShort: [1] },
    settings: { slippageBps: 10 },
    definition: { allowShort: true },
    trades: [short(1, 99.9, 2, 90.09, 'signal')],
  },
];

describe('simulateKline', () => {
  describe.each(scenarios)('$name', (s) => {
    it('produces the expected trades', () => {
      const candles = bars(s.bars);
      const run = simulateKline(candles, signalsAt(s.bars.length, s.signals), simParams(s.definition, s.settings));
      expect(run.trades).toHaveLength(s.trades.length);
      run.trades.forEach((t, k) => {
        const e = s.trades[k];
        expect({ side: t.side, entryBar: t.entryBar, exitBar: t.exitBar, exitReason: t.exitReason }).toEqual({
          side: e.side,
          entryBar: e.entryBar,
          exitBar: e.exitBar,
          exitReason: e.exitReason,
        });
        expect(t.entryPrice).toBeCloseTo(e.entryPrice, 10);
        expect(t.exitPrice).toBeCloseTo(e.exitPrice, 10);
        expect(t.ambiguous).toBe(e.ambiguous ?? false);
        expect(t.entryTime).toBe(candles.time[e.entryBar]);
        expect(t.exitTime).toBe(candles.time[e.exitBar] + (e.exitReason === 'end' ? MINUTE : 0));
      });
    });
  });

  describe('accounting', () => {
    it('charges the fee on the notional of both fills and sizes with the fee included', () => {
      const run = simulateKline(
        bars([
          [100, 100, 100, 100],
          [100, 101, 99, 100],
          [110, 111, 109, 110],
        ]),
        signalsAt(3, { entryLong: [0], exitLong: [1] }),
        simParams({}, { feeRate: 0.001 }),
      );
      const units = 1000 / (100 * 1.001);
      const fees = units * 100 * 0.001 + units * 110 * 0.001;
      const [trade] = run.trades;
      expect(trade.units).toBeCloseTo(units, 10);
      expect(trade.fees).toBeCloseTo(fees, 10);
      expect(trade.pnl).toBeCloseTo(units * 10 - fees, 10);
      expect(trade.pnlPct).toBeCloseTo(((units * 10 - fees) / (units * 100)) * 100, 10);
      expect(run.finalEquity).toBeCloseTo(1000 + units * 10 - fees, 9);
    });

    it('records the slippage cost of both fills on the trade', () => {
      const run = simulateKline(
        bars([
          [100, 100, 100, 100],
          [100, 101, 99, 100],
          [110, 111, 109, 110],
        ]),
        signalsAt(3, { entryLong: [0], exitLong: [1] }),
        simParams({}, { slippageBps: 100 }),
      );
      const units = 1000 / 101;
      expect(run.trades[0].slippage).toBeCloseTo(units * 1 + units * 1.1, 10);
    });

    it('sizes the fraction of equity after the close of a reversal', () => {
      const run = simulateKline(
        bars([
          [100, 100, 100, 100],
          [100, 101, 99, 100],
          [120, 121, 119, 120],
          [120, 121, 119, 120],
        ]),
        signalsAt(4, { entryLong: [0], entryShort: [1] }),
        simParams({ allowShort: true, sizing: { type: 'equityFraction', fraction: 0.5 } }),
      );
      // Long 5 units at 100 (500 of 1000), sold at 120 → equity 1100, short 0.5 × 1100 / 120.
      expect(run.trades[0].units).toBeCloseTo(5, 12);
      expect(run.trades[1].units).toBeCloseTo(550 / 120, 12);
    });

    it('rounds whole units down', () => {
      const run = simulateKline(
        bars([
          [30, 30, 30, 30],
          [30, 31, 29, 30],
        ]),
        signalsAt(2, { entryLong: [0] }),
        simParams({ sizing: { type: 'equityFraction', fraction: 1, wholeUnits: true } }),
      );
      expect(run.trades[0].units).toBe(33);
      expect(run.finalEquity).toBe(1000);
    });

    it('buys a fixed quote amount, and never more than the equity', () => {
      const fixedQuote = (amount: number) =>
        simulateKline(
          bars([
            [100, 100, 100, 100],
            [100, 101, 99, 100],
          ]),
          signalsAt(2, { entryLong: [0] }),
          simParams({ sizing: { type: 'fixedQuote', amount } }),
        ).trades[0].units;
      expect(fixedQuote(500)).toBe(5);
      expect(fixedQuote(5000)).toBe(10);
    });

    it('buys fixed units, capped at what the equity can pay for', () => {
      const fixedUnits = (units: number) =>
        simulateKline(
          bars([
            [100, 100, 100, 100],
            [100, 101, 99, 100],
          ]),
          signalsAt(2, { entryLong: [0] }),
          simParams({ sizing: { type: 'fixedUnits', units } }),
        ).trades[0].units;
      expect(fixedUnits(3)).toBe(3);
      expect(fixedUnits(100)).toBe(10);
    });

    it('opens nothing when whole-unit sizing rounds to zero', () => {
      const run = simulateKline(
        bars([
          [2000, 2000, 2000, 2000],
          [2000, 2001, 1999, 2000],
        ]),
        signalsAt(2, { entryLong: [0] }),
        simParams({ sizing: { type: 'equityFraction', fraction: 1, wholeUnits: true } }),
      );
      expect(run.trades).toEqual([]);
      expect(run.finalEquity).toBe(1000);
    });

    it('marks equity at each close and ends on the cash after the end-of-data close', () => {
      const run = simulateKline(
        bars([
          [100, 100, 100, 100],
          [100, 101, 99, 101],
          [101, 103, 100, 102],
        ]),
        signalsAt(3, { entryLong: [0] }),
        simParams({}, { feeRate: 0.01 }),
      );
      const units = 1000 / (100 * 1.01);
      const cash = 1000 - units * 100 * 1.01;
      expect(run.equity[0]).toBe(1000);
      expect(run.equity[1]).toBeCloseTo(cash + units * 101, 9);
      expect(run.equity[2]).toBeCloseTo(cash + units * 102 * 0.99, 9);
      expect(run.finalEquity).toBe(run.equity[2]);
      expect(run.barsInPosition).toBe(2);
    });
  });

  describe('envelope', () => {
    const candles = bars([
      [100, 100, 100, 100],
      [100, 101, 99, 100],
      [100, 111, 94, 100],
      [100, 101, 99, 100],
    ]);
    const signals = signalsAt(4, { entryLong: [0] });
    const params = simParams({ risk: { stopLossPct: 5, takeProfitPct: 10 } });

    it('lists the ambiguous bars by time in the worst case', () => {
      expect(simulateKline(candles, signals, params, 'worst').ambiguousTimes).toEqual([candles.time[2]]);
    });

    it('takes profit on ambiguous bars in the best case', () => {
      const best = simulateKline(candles, signals, params, 'best');
      expect(best.trades[0].exitReason).toBe('takeProfit');
      expect(best.trades[0].exitPrice).toBeCloseTo(110, 10);
      expect(best.finalEquity).toBeCloseTo(1100, 9);
      expect(simulateKline(candles, signals, params, 'worst').finalEquity).toBeCloseTo(950, 9);
    });

    it('takes the extreme nearer the open first in adaptive mode', () => {
      const nearHigh = bars([
        [100, 100, 100, 100],
        [100, 101, 99, 100],
        [108, 111, 94, 100],
      ]);
      const adaptive = simulateKline(nearHigh, signalsAt(3, { entryLong: [0] }), params, 'adaptive');
      expect(adaptive.trades[0]).toMatchObject({ exitReason: 'takeProfit', ambiguous: true });
      const worst = simulateKline(nearHigh, signalsAt(3, { entryLong: [0] }), params, 'worst');
      expect(worst.trades[0]).toMatchObject({ exitReason: 'stopLoss', ambiguous: true });
    });
  });
});
