import fc from 'fast-check';
import { aggregateCandles } from '../data/aggregate';
import type { CandleSeries, SignalSet, Trade } from '../types';
import { bars, MINUTE, signalsAt, simParams } from './fixtures';
import { simulateHybrid } from './hybrid';
import { simulateKline } from './kline';

const BASE = 4 * MINUTE;
const flat = [100, 100, 100, 100];

/** 1m detail for three 4m base bars; the position opens at base bar 1's open (100). */
function detailWith(baseBar1: number[][], baseBar2: number[][] = [flat, flat, flat, flat]): CandleSeries {
  return bars([flat, flat, flat, flat, ...baseBar1, ...baseBar2]);
}

const risk = simParams({ risk: { stopLossPct: 5, takeProfitPct: 10 } }, {}, 'hybrid');
const entryAt0 = signalsAt(3, { entryLong: [0] });

function run(detail: CandleSeries[], base = aggregateCandles(detail[0], BASE)) {
  return simulateHybrid(base, detail, entryAt0, risk);
}

describe('simulateHybrid', () => {
  it('takes profit when the detail shows the take-profit before the stop', () => {
    const detail = detailWith([
      [100, 101, 99, 100],
      [100, 111, 100, 110],
      [105, 106, 94, 95],
      [95, 96, 94, 95],
    ]);
    const base = aggregateCandles(detail, BASE);
    expect(simulateKline(base, entryAt0, risk).trades[0]).toMatchObject({ exitReason: 'stopLoss', ambiguous: true });
    const [trade] = run([detail]).trades;
    expect(trade).toMatchObject({
      exitReason: 'takeProfit',
      exitPrice: expect.closeTo(110, 10),
      exitBar: 1,
      ambiguous: false,
    });
    expect(trade.exitTime).toBe(5 * MINUTE);
  });

  it('stops out when the detail shows the stop first', () => {
    const detail = detailWith([
      [100, 101, 99, 100],
      [100, 101, 94, 96],
      [96, 111, 95, 110],
      [110, 111, 109, 110],
    ]);
    const [trade] = run([detail]).trades;
    expect(trade).toMatchObject({ exitReason: 'stopLoss', exitPrice: 95, ambiguous: false, exitTime: 5 * MINUTE });
  });

  it('fills at a detail bar open that gaps through the stop', () => {
    const detail = detailWith([
      [100, 101, 99, 100],
      [100, 101, 99, 100],
      [90, 91, 89, 90],
      [90, 91, 89, 90],
    ]);
    const base = aggregateCandles(detail, BASE);
    expect(simulateKline(base, entryAt0, risk).trades[0].exitPrice).toBe(95);
    expect(run([detail]).trades[0]).toMatchObject({ exitReason: 'stopLoss', exitPrice: 90, exitTime: 6 * MINUTE });
  });

  describe('a detail bar with both levels in its range', () => {
    const ambiguousMinute = [
      [100, 101, 99, 100],
      [100, 111, 94, 100],
      [100, 101, 99, 100],
      [100, 101, 99, 100],
    ];

    it('is resolved on the finer detail when there is some', () => {
      const seconds = bars(
        [
          [100, 100, 100, 100],
          [100, 111, 100, 111],
          [111, 111, 94, 94],
        ],
        1000,
        5 * MINUTE,
      );
      const [trade] = run([detailWith(ambiguousMinute), seconds]).trades;
      expect(trade).toMatchObject({ exitReason: 'takeProfit', exitPrice: expect.closeTo(110, 10), ambiguous: false });
      expect(trade.exitTime).toBe(5 * MINUTE + 1000);
    });

    it('is resolved by the extreme nearer its open otherwise, and the trade is marked ambiguous', () => {
      const lowNearer = run([detailWith(ambiguousMinute)]);
      expect(lowNearer.trades[0]).toMatchObject({ exitReason: 'stopLoss', exitPrice: 95, ambiguous: true });
      expect(lowNearer.ambiguousTimes).toEqual([5 * MINUTE]);

      const highNearer = ambiguousMinute.map((r) => [...r]);
      highNearer[1] = [108, 111, 94, 100];
      expect(run([detailWith(highNearer)]).trades[0]).toMatchObject({
        exitReason: 'takeProfit',
        exitPrice: expect.closeTo(110, 10),
        ambiguous: true,
      });
    });
  });

  describe('base bars without detail', () => {
    const base = bars(
      [
        [100, 100, 100, 100],
        [100, 101, 99, 100],
        [108, 111, 94, 100],
      ],
      BASE,
    );
    // Detail covers base bars 0 and 1 only.
    const detail = bars([flat, flat, flat, flat, flat, [100, 101, 99, 100], flat, flat]);

    it('are played by the nearer-extreme rule on the base candle', () => {
      const [trade] = simulateHybrid(base, [detail], entryAt0, risk).trades;
      expect(trade).toMatchObject({
        exitReason: 'takeProfit',
        exitPrice: expect.closeTo(110, 10),
        exitBar: 2,
        ambiguous: true,
      });
      expect(trade.exitTime).toBe(2 * BASE);
    });

    it('are counted in the detail coverage', () => {
      expect(simulateHybrid(base, [detail], entryAt0, risk).detailCoverage).toEqual({
        ratio: 0.5,
        barsInPosition: 2,
        barsWithDetail: 1,
      });
    });
  });

  it('reports full coverage when no bar was in a position', () => {
    const detail = detailWith([flat, flat, flat, flat]);
    const none = simulateHybrid(aggregateCandles(detail, BASE), [detail], signalsAt(3, {}), risk);
    expect(none.detailCoverage).toEqual({ ratio: 1, barsInPosition: 0, barsWithDetail: 0 });
  });

  describe('equals the same orders run on the detail series by hand', () => {
    /** Random 1m bars (a walk with occasional gaps) and random base-bar signals. */
    const market = fc
      .record({
        moves: fc.array(
          fc.record({
            drift: fc.double({ min: -0.02, max: 0.02, noNaN: true }),
            up: fc.double({ min: 0, max: 0.02, noNaN: true }),
            down: fc.double({ min: 0, max: 0.02, noNaN: true }),
            gap: fc.oneof(fc.constant(0), fc.double({ min: -0.03, max: 0.03, noNaN: true })),
          }),
          { minLength: 8, maxLength: 160 },
        ),
        ratio: fc.constantFrom(2, 4, 5),
        stopLossPct: fc.constantFrom(0, 1, 2.5),
        takeProfitPct: fc.constantFrom(0, 1.5, 3),
        trailingStopPct: fc.constantFrom(0, 1, 2),
        allowShort: fc.boolean(),
        reverseOnSignal: fc.boolean(),
        slippageBps: fc.constantFrom(0, 5),
        seed: fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 200, maxLength: 200 }),
      })
      .map((m) => {
        let price = 100;
        const rows = m.moves.map((mv) => {
          const o = price * (1 + mv.gap);
          const c = o * (1 + mv.drift);
          price = c;
          return [o, Math.max(o, c) * (1 + mv.up), Math.min(o, c) * (1 - mv.down), c];
        });
        return { ...m, detail: bars(rows) };
      });

    function sameFields(t: Trade, timeframeMs: number) {
      return {
        side: t.side,
        entryTime: t.entryTime,
        entryPrice: t.entryPrice,
        // An end-of-data exit is stamped with the close of the last bar of its own series.
        exitTime: t.exitReason === 'end' ? Math.floor((t.exitTime - 1) / timeframeMs) : t.exitTime,
        exitPrice: t.exitPrice,
        units: t.units,
        pnl: t.pnl,
        exitReason: t.exitReason,
        ambiguous: t.ambiguous,
      };
    }

    it('for random markets, levels and signals', () => {
      fc.assert(
        fc.property(market, (m) => {
          const base = aggregateCandles(m.detail, m.ratio * MINUTE);
          const n = base.time.length;
          const pick = (k: number, every: number) => m.seed[k % m.seed.length] % every === 0;
          const at = {
            entryLong: [] as number[],
            exitLong: [] as number[],
            entryShort: [] as number[],
            exitShort: [] as number[],
          };
          for (let i = 0; i < n; i++) {
            if (pick(i, 3)) at.entryLong.push(i);
            if (pick(i + 1, 4)) at.exitLong.push(i);
            if (pick(i + 2, 3)) at.entryShort.push(i);
            if (pick(i + 3, 4)) at.exitShort.push(i);
          }
          const baseSignals = signalsAt(n, at);
          // The signal of a base bar sits on the last detail bar inside it.
          const onDetail: SignalSet = signalsAt(m.detail.time.length, {});
          for (let j = 0; j < m.detail.time.length; j++) {
            const i = Math.floor(m.detail.time[j] / (m.ratio * MINUTE));
            const last = j + 1 === m.detail.time.length || Math.floor(m.detail.time[j + 1] / (m.ratio * MINUTE)) !== i;
            if (!last) continue;
            onDetail.entryLong[j] = baseSignals.entryLong[i];
            onDetail.exitLong[j] = baseSignals.exitLong[i];
            onDetail.entryShort[j] = baseSignals.entryShort[i];
            onDetail.exitShort[j] = baseSignals.exitShort[i];
          }
          const params = simParams(
            {
              allowShort: m.allowShort,
              reverseOnSignal: m.reverseOnSignal,
              risk: { stopLossPct: m.stopLossPct, takeProfitPct: m.takeProfitPct, trailingStopPct: m.trailingStopPct },
            },
            { slippageBps: m.slippageBps, feeRate: 0.001 },
            'hybrid',
          );
          const hybrid = simulateHybrid(base, [m.detail], baseSignals, params);
          const byHand = simulateKline(m.detail, onDetail, params, 'adaptive');
          const tf = m.ratio * MINUTE;
          expect(hybrid.trades.map((t) => sameFields(t, tf))).toEqual(byHand.trades.map((t) => sameFields(t, tf)));
          expect(hybrid.finalEquity).toBe(byHand.finalEquity);
          expect(hybrid.detailCoverage.ratio).toBe(1);
          expect(hybrid.detailCoverage.barsInPosition).toBe(hybrid.barsInPosition);
        }),
        { numRuns: 300 },
      );
    });
  });
});
