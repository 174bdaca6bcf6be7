import fc from 'fast-check';
import type { CandleSeries, SignalSet } from '../types';
import { decide, type BarRun } from './core';
import { bars, simParams } from './fixtures';
import { KlineResolver, simulateKline } from './kline';
import { Ledger, REASON_END } from './ledger';
import type { SimParams } from './params';

/**
 * The bar loop as the rules state it, one full step per bar and no shortcut: fills at the open,
 * levels, the equity mark, `decide` at every close. `runBars` skips the quiet bars in a tight
 * loop; it must give exactly this.
 */
function reference(candles: CandleSeries, s: SignalSet, p: SimParams, progress: (f: number) => void): BarRun {
  const n = candles.time.length;
  const led = new Ledger(p);
  const resolver = new KlineResolver(candles, 'worst');
  const equity = new Float64Array(n);
  const chunk = Math.max(1, Math.ceil(n / 16));
  let order = 0;
  let barsInPosition = 0;
  for (let i = 0; i < n; i++) {
    if (order !== 0) {
      if ((order & 7) !== 0 && led.side !== 0) led.exit(candles.open[i], candles.time[i], i, order & 7, true);
      if (order >> 3 !== 0) led.enter(order >> 3 === 1 ? 1 : -1, candles.open[i], candles.time[i], i);
      order = 0;
    }
    if (led.side !== 0) {
      barsInPosition++;
      if (led.hasLevels) resolver.resolve(led, i);
    }
    equity[i] = led.equity(candles.close[i]);
    order = decide(p, led.side, i - led.entryBar + 1, s.entryLong[i], s.exitLong[i], s.entryShort[i], s.exitShort[i]);
    if ((i + 1) % chunk === 0) progress((i + 1) / n);
  }
  if (led.side !== 0) {
    led.exit(candles.close[n - 1], candles.time[n - 1] + candles.timeframeMs, n - 1, REASON_END, false);
    equity[n - 1] = led.cash;
  }
  return { trades: led.trades, equity, barsInPosition, finalEquity: led.cash };
}

/** A random walk of `n` bars from a seed, each bar opening at the previous close. */
function walk(n: number, seed: number): CandleSeries {
  let x = seed >>> 0 || 1;
  const random = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
  let price = 100;
  const rows: number[][] = [];
  for (let i = 0; i < n; i++) {
    const o = price;
    const c = o * (1 + (random() - 0.5) * 0.04);
    rows.push([o, Math.max(o, c) * (1 + random() * 0.01), Math.min(o, c) * (1 - random() * 0.01), c]);
    price = c;
  }
  return bars(rows);
}

const sparseSignals = (n: number) =>
  fc.array(fc.integer({ min: 0, max: n - 1 }), { maxLength: Math.ceil(n / 4) }).map((idx) => {
    const a = new Uint8Array(n);
    for (const i of idx) a[i] = 1;
    return a;
  });

const signalSets = (n: number) =>
  fc.record({
    entryLong: sparseSignals(n),
    exitLong: sparseSignals(n),
    entryShort: sparseSignals(n),
    exitShort: sparseSignals(n),
  });

/** A random walk of up to `maxBars` bars (its length and seed), a set of signals for it, and what `rest` draws. */
const barsCase = <T extends object>(maxBars: number, rest: fc.Arbitrary<T>) =>
  fc
    .integer({ min: 1, max: maxBars })
    .chain((n) =>
      fc
        .tuple(fc.integer({ min: 1, max: 2 ** 31 - 1 }), signalSets(n), rest)
        .map(([seed, signals, drawn]) => ({ n, seed, signals, ...drawn })),
    );

describe('runBars', () => {
  it('equals the plain per-bar loop: trades, equity, bars in position and progress reports', () => {
    fc.assert(
      fc.property(
        barsCase(
          120,
          fc.record({
            allowShort: fc.boolean(),
            reverseOnSignal: fc.boolean(),
            maxBarsInTrade: fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }),
            stopLossPct: fc.option(fc.constantFrom(0.5, 1, 3), { nil: undefined }),
            takeProfitPct: fc.option(fc.constantFrom(0.5, 2, 4), { nil: undefined }),
            trailingStopPct: fc.option(fc.constantFrom(0.3, 1), { nil: undefined }),
            fixedUnits: fc.boolean(),
            feeRate: fc.constantFrom(0, 0.001),
            slippageBps: fc.constantFrom(0, 5),
          }),
        ),
        (c) => {
          const candles = walk(c.n, c.seed);
          const p = simParams(
            {
              allowShort: c.allowShort,
              reverseOnSignal: c.reverseOnSignal,
              risk: {
                maxBarsInTrade: c.maxBarsInTrade,
                stopLossPct: c.stopLossPct,
                takeProfitPct: c.takeProfitPct,
                trailingStopPct: c.trailingStopPct,
              },
              sizing: c.fixedUnits ? { type: 'fixedUnits', units: 3 } : undefined,
            },
            { feeRate: c.feeRate, slippageBps: c.slippageBps },
          );
          const reports: number[] = [];
          const expectedReports: number[] = [];
          const run = simulateKline(candles, c.signals, p, 'worst', (f) => reports.push(f));
          const expected = reference(candles, c.signals, p, (f) => expectedReports.push(f));
          expect(run.trades).toEqual(expected.trades);
          expect(Array.from(run.equity)).toEqual(Array.from(expected.equity));
          expect(run.barsInPosition).toBe(expected.barsInPosition);
          expect(run.finalEquity).toBe(expected.finalEquity);
          expect(reports).toEqual(expectedReports);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('reads signals the same from views at any byte offset, as from arrays of their own', () => {
    // The fast path reads four bars at a time through 32-bit views of aligned arrays.
    const inView = (a: Uint8Array, offset: number) => {
      const view = new Uint8Array(new ArrayBuffer(a.length + 8), offset, a.length);
      view.set(a);
      return view;
    };
    fc.assert(
      fc.property(
        barsCase(90, fc.record({ offset: fc.integer({ min: 0, max: 7 }), allowShort: fc.boolean() })),
        (c) => {
          const candles = walk(c.n, c.seed);
          const p = simParams({ allowShort: c.allowShort, reverseOnSignal: true }, { feeRate: 0.001 });
          const s = c.signals;
          const viewed: SignalSet = {
            entryLong: inView(s.entryLong, c.offset),
            exitLong: inView(s.exitLong, c.offset),
            entryShort: inView(s.entryShort, c.offset),
            exitShort: inView(s.exitShort, c.offset),
          };
          const run = simulateKline(candles, viewed, p);
          const expected = reference(candles, s, p, () => undefined);
          expect(run.trades).toEqual(expected.trades);
          expect(Array.from(run.equity)).toEqual(Array.from(expected.equity));
        },
      ),
      { numRuns: 200 },
    );
  });
});
