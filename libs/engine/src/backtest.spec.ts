import fc from 'fast-check';
import { runBacktest } from './backtest';
import { aggregateCandles, candlesFromTrades, sliceCandles } from './data/aggregate';
import { EngineError } from './errors';
import { toResultJson } from './json';
import { bars, MINUTE, prints } from './simulate/fixtures';
import { strategyTemplates } from './strategy/templates';
import type { BacktestInput, BacktestResult, CandleSeries, Precision, StrategyDefinition, TradeSeries } from './types';
import { ENGINE_VERSION } from './version';

const smaCross: StrategyDefinition = {
  version: 1,
  indicators: { fast: { type: 'sma', period: 3 }, slow: { type: 'sma', period: 7 } },
  entry: { long: { crossAbove: ['fast', 'slow'] }, short: { crossBelow: ['fast', 'slow'] } },
  exit: { long: { crossBelow: ['fast', 'slow'] }, short: { crossAbove: ['fast', 'slow'] } },
  risk: { stopLossPct: 1, takeProfitPct: 1.5, trailingStopPct: 0.8, maxBarsInTrade: 12 },
  allowShort: true,
  reverseOnSignal: true,
};

const definitions: StrategyDefinition[] = [
  smaCross,
  {
    ...smaCross,
    reverseOnSignal: false,
    risk: {},
    sizing: { type: 'equityFraction', fraction: 0.5, wholeUnits: true },
  },
  { ...smaCross, risk: { stopLossPct: 0.5, takeProfitPct: 0.5 }, sizing: { type: 'fixedQuote', amount: 400 } },
  ...strategyTemplates.map((t) => t.definition),
];

/** A random walk of `n` bars with occasional gaps; `seed` makes it reproducible. */
function walk(n: number, seed: number, timeframeMs = MINUTE): CandleSeries {
  let x = seed >>> 0 || 1;
  const random = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
  let price = 100;
  const rows: number[][] = [];
  for (let i = 0; i < n; i++) {
    const o = random() < 0.05 ? price * (1 + (random() - 0.5) * 0.03) : price;
    const c = o * (1 + (random() - 0.5) * 0.02);
    rows.push([o, Math.max(o, c) * (1 + random() * 0.008), Math.min(o, c) * (1 - random() * 0.008), c, 1 + random()]);
    price = c;
  }
  return bars(rows, timeframeMs);
}

/** Prints: `perBar` random prints inside each 1m bar of a walk, amounts 0.5–3. */
function printsOf(candles: CandleSeries, perBar: number, seed: number): TradeSeries {
  const rows: [number, number, number][] = [];
  let x = seed >>> 0 || 7;
  const random = () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 4294967296;
  };
  for (let i = 0; i < candles.time.length; i++) {
    const { open, high, low, close } = candles;
    const path = [open[i], random() < 0.5 ? high[i] : low[i], random() < 0.5 ? low[i] : high[i], close[i]];
    for (let k = 0; k < perBar; k++) {
      const p = path[Math.min(3, Math.floor((k / perBar) * 4))];
      rows.push([candles.time[i] + Math.floor((k * candles.timeframeMs) / perBar), p, 0.5 + random() * 2.5]);
    }
  }
  return prints(rows);
}

interface Case {
  input: BacktestInput;
  /** The input cut after base bar `cut − 1`. */
  prefix(cut: number): BacktestInput;
  /** The same market up to base bar `cut − 1` (and the open of bar `cut`), another one after. */
  future(cut: number, seed: number): BacktestInput;
}

/** Bars of `a` before `cut`, then those of `b` scaled so that bar `cut` opens where `a`'s does. */
function splice(a: CandleSeries, b: CandleSeries, cut: number): CandleSeries {
  const k = a.open[cut] / b.open[cut];
  const rows: number[][] = [];
  for (let i = 0; i < a.time.length; i++) {
    const s = i < cut ? a : b;
    const f = i < cut ? 1 : k;
    rows.push([s.open[i] * f, s.high[i] * f, s.low[i] * f, s.close[i] * f, s.volume[i]]);
  }
  const out = bars(rows, a.timeframeMs);
  out.open[cut] = a.open[cut];
  out.high[cut] = Math.max(out.high[cut], a.open[cut]);
  out.low[cut] = Math.min(out.low[cut], a.open[cut]);
  return out;
}

/** Prints of `a` before `time`, then those of `b` at or after it, scaled to continue from `a`'s first print there. */
function splicePrints(a: TradeSeries, b: TradeSeries, time: number): TradeSeries {
  const ia = a.time.findIndex((t) => t >= time);
  const ib = b.time.findIndex((t) => t >= time);
  const k = a.price[ia] / b.price[ib];
  const rows: [number, number, number][] = [];
  for (let i = 0; i < ia; i++) rows.push([a.time[i], a.price[i], a.amount[i]]);
  for (let i = ib; i < b.time.length; i++) rows.push([b.time[i], b.price[i] * k, b.amount[i]]);
  return prints(rows);
}

function caseFor(precision: Precision, definition: StrategyDefinition, seed: number, n: number, slippageBps = 0): Case {
  const settings = { initialCapital: 1000, slippageBps, feeRate: 0.001 };
  if (precision === 'kline') {
    const candles = walk(n, seed);
    return {
      input: { definition, precision, candles, settings },
      prefix: (cut) => ({ definition, precision, candles: sliceCandles(candles, 0, cut), settings }),
      future: (cut, other) => ({ definition, precision, candles: splice(candles, walk(n, other), cut), settings }),
    };
  }
  if (precision === 'hybrid') {
    const detail = walk(n * 4, seed);
    const candles = aggregateCandles(detail, 4 * MINUTE);
    return {
      input: { definition, precision, candles, detail: [detail], settings },
      prefix: (cut) => ({
        definition,
        precision,
        candles: sliceCandles(candles, 0, cut),
        detail: [sliceCandles(detail, 0, Math.min(detail.time.length, cut * 4))],
        settings,
      }),
      future: (cut, other) => {
        const changed = splice(detail, walk(n * 4, other), cut * 4);
        return { definition, precision, candles: aggregateCandles(changed, 4 * MINUTE), detail: [changed], settings };
      },
    };
  }
  const trades = printsOf(walk(n, seed), 6, seed);
  const candles = candlesFromTrades(trades, MINUTE);
  const tick = { latencyMs: 50, impactCoefficient: 0.5, impactLookbackMs: 10 * MINUTE };
  return {
    input: { definition, precision, candles, trades, settings: { ...settings, tick } },
    prefix: (cut) => {
      const end = candles.time[cut - 1] + MINUTE;
      let k = 0;
      while (k < trades.time.length && trades.time[k] < end) k++;
      const cutTrades = {
        time: trades.time.subarray(0, k),
        price: trades.price.subarray(0, k),
        amount: trades.amount.subarray(0, k),
        side: trades.side.subarray(0, k),
      };
      return {
        definition,
        precision,
        candles: sliceCandles(candles, 0, cut),
        trades: cutTrades,
        settings: { ...settings, tick },
      };
    },
    future: (cut, other) => {
      const changed = splicePrints(trades, printsOf(walk(n, other), 6, other), candles.time[cut]);
      return {
        definition,
        precision,
        candles: candlesFromTrades(changed, MINUTE),
        trades: changed,
        settings: { ...settings, tick },
      };
    },
  };
}

function engineError(fn: () => unknown): EngineError {
  try {
    fn();
  } catch (error) {
    if (error instanceof EngineError) return error;
    throw error;
  }
  throw new Error('expected an EngineError');
}

const precisions: Precision[] = ['kline', 'hybrid', 'tick'];
const arbitraryCase = fc.record({
  precision: fc.constantFrom(...precisions),
  definition: fc.constantFrom(...definitions),
  seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  n: fc.integer({ min: 40, max: 260 }),
});

describe('runBacktest', () => {
  describe('validation', () => {
    const candles = walk(50, 1);
    const base: BacktestInput = {
      definition: smaCross,
      precision: 'kline',
      candles,
      settings: { initialCapital: 1000 },
    };

    it('rejects an invalid definition with INVALID_STRATEGY and the path of each issue', () => {
      const definition = { ...smaCross, entry: { long: { crossAbove: ['fsat', 'slow'] } } } as StrategyDefinition;
      const error = engineError(() => runBacktest({ ...base, definition }));
      expect(error.code).toBe('INVALID_STRATEGY');
      expect(error.message).toContain('entry.long.crossAbove[0]');
      expect(error.message).toContain('fsat');
      expect(Array.isArray(error.details)).toBe(true);
    });

    it('rejects bad market data with INVALID_MARKET_DATA and the bar index', () => {
      const bad = walk(50, 1);
      bad.high[17] = NaN;
      const error = engineError(() => runBacktest({ ...base, candles: bad }));
      expect(error.code).toBe('INVALID_MARKET_DATA');
      expect(error.details).toEqual({ series: 'candles', index: 17 });
    });

    it.each([
      ['a negative fee', { initialCapital: 1000, feeRate: -0.1 }, 'settings.feeRate'],
      ['no capital', { initialCapital: 0 }, 'settings.initialCapital'],
      ['an unknown calendar', { initialCapital: 1000, calendar: 'lunar' }, 'settings.calendar'],
      ['a negative latency', { initialCapital: 1000, tick: { latencyMs: -1 } }, 'settings.tick.latencyMs'],
    ])('rejects %s with INVALID_SETTINGS', (_name, settings, path) => {
      const error = engineError(() => runBacktest({ ...base, settings: settings as BacktestInput['settings'] }));
      expect(error.code).toBe('INVALID_SETTINGS');
      expect(error.message).toContain(path);
    });

    it('rejects an unknown precision, hybrid without detail, coarse detail and tick without prints', () => {
      expect(engineError(() => runBacktest({ ...base, precision: 'daily' as Precision })).code).toBe(
        'INVALID_SETTINGS',
      );
      expect(engineError(() => runBacktest({ ...base, precision: 'hybrid' })).message).toContain('detail');
      expect(
        engineError(() =>
          runBacktest({ ...base, precision: 'hybrid', detail: [aggregateCandles(candles, 5 * MINUTE)] }),
        ).message,
      ).toContain('finer');
      expect(engineError(() => runBacktest({ ...base, precision: 'tick' })).message).toContain('trade prints');
    });

    it('rejects empty candles', () => {
      expect(engineError(() => runBacktest({ ...base, candles: bars([]) })).code).toBe('INVALID_MARKET_DATA');
    });
  });

  describe('progress', () => {
    const input = caseFor('kline', smaCross, 3, 2000).input;

    it('reports rising percentages at least 5 apart, ending at 100', () => {
      const seen: number[] = [];
      runBacktest({ ...input, onProgress: (p) => void seen.push(p) });
      expect(seen[0]).toBe(0);
      expect(seen[seen.length - 1]).toBe(100);
      for (let k = 1; k < seen.length; k++) expect(seen[k] - seen[k - 1]).toBeGreaterThanOrEqual(5);
      expect(seen.length).toBeGreaterThan(10);
    });

    it('cancels with CANCELLED when the callback answers false', () => {
      const error = engineError(() => runBacktest({ ...input, onProgress: (p) => p < 40 }));
      expect(error.code).toBe('CANCELLED');
    });
  });

  describe('the result', () => {
    it.each(precisions)('of %s precision has the documented shape', (precision) => {
      const { input } = caseFor(precision, smaCross, 5, 120);
      const result = runBacktest(input);
      expect(result.engineVersion).toBe(ENGINE_VERSION);
      expect(result.precision).toBe(precision);
      expect(result.fingerprint).toMatch(/^[0-9a-f]{64}$/);
      expect(result.equity.time.length).toBe(input.candles.time.length);
      expect(Array.from(result.equity.time)).toEqual(Array.from(input.candles.time));
      expect(result.envelope !== undefined).toBe(precision === 'kline');
      expect(result.detailCoverage !== undefined).toBe(precision === 'hybrid');
      const text = JSON.stringify(result);
      expect(Array.isArray((JSON.parse(text) as { equity: { equity: unknown } }).equity.equity)).toBe(true);
      expect(toResultJson(result)).toBe(text);
      expect(toResultJson(structuredClone(result))).toBe(text);
    });

    it('downsamples a long equity curve to at most 2,000 points', () => {
      const result = runBacktest(caseFor('kline', smaCross, 9, 5000).input);
      expect(result.equity.equity.length).toBe(5000);
      expect(result.equityDownsampled.equity.length).toBeLessThanOrEqual(2000);
      expect(Math.min(...result.equityDownsampled.equity)).toBe(Math.min(...result.equity.equity));
    });

    it('changes the fingerprint with any input byte, the definition or the settings, and only then', () => {
      const { input } = caseFor('kline', smaCross, 11, 100);
      const fp = (i: BacktestInput) => runBacktest(i).fingerprint;
      const same = fp({ ...input, candles: sliceCandles(walk(100, 11), 0, 100) });
      expect(same).toBe(fp(input));
      const moved = walk(100, 11);
      moved.volume[50] += 1;
      expect(fp({ ...input, candles: moved })).not.toBe(same);
      expect(
        fp({ ...input, definition: { ...smaCross, allowShort: false, entry: { long: smaCross.entry.long } } }),
      ).not.toBe(same);
      expect(fp({ ...input, settings: { ...input.settings, feeRate: 0.002 } })).not.toBe(same);
    });
  });

  describe('properties', () => {
    it('ends on the initial capital plus the pnl of every trade, net of fees', () => {
      fc.assert(
        fc.property(arbitraryCase, ({ precision, definition, seed, n }) => {
          const result = runBacktest(caseFor(precision, definition, seed, n, 3).input);
          const total = result.trades.reduce((sum, t) => sum + t.pnl, 0);
          expect(result.metrics.finalEquity).toBeCloseTo(1000 + total, 7);
          expect(result.equity.equity[result.equity.equity.length - 1]).toBe(result.metrics.finalEquity);
          for (const t of result.trades) {
            const gross = (t.side === 'long' ? 1 : -1) * t.units * (t.exitPrice - t.entryPrice);
            expect(t.pnl).toBeCloseTo(gross - t.fees, 7);
          }
        }),
        { numRuns: 120 },
      );
    });

    it('never fills outside the bar range before slippage', () => {
      fc.assert(
        fc.property(
          arbitraryCase.filter((c) => c.precision !== 'tick'),
          fc.constantFrom(0, 7),
          ({ precision, definition, seed, n }, bps) => {
            const { input } = caseFor(precision, definition, seed, n, bps);
            const { low, high } = input.candles;
            const s = bps / 10_000;
            const eps = 1e-12;
            for (const t of runBacktest(input).trades) {
              const dir = t.side === 'long' ? 1 : -1;
              const entry = t.entryPrice / (1 + dir * s);
              const exit = t.exitReason === 'end' ? t.exitPrice : t.exitPrice / (1 - dir * s);
              expect(entry).toBeGreaterThanOrEqual(low[t.entryBar] * (1 - eps));
              expect(entry).toBeLessThanOrEqual(high[t.entryBar] * (1 + eps));
              expect(exit).toBeGreaterThanOrEqual(low[t.exitBar] * (1 - eps));
              expect(exit).toBeLessThanOrEqual(high[t.exitBar] * (1 + eps));
            }
          },
        ),
        { numRuns: 120 },
      );
    });

    it('keeps every decision made before appended bars (no look-ahead)', () => {
      fc.assert(
        fc.property(arbitraryCase, fc.double({ min: 0.2, max: 0.95, noNaN: true }), (c, share) => {
          const { input, prefix } = caseFor(c.precision, c.definition, c.seed, c.n);
          const cut = Math.max(2, Math.floor(c.n * share));
          const full = runBacktest(input);
          const part = runBacktest(prefix(cut));
          const closed = part.trades.filter((t) => t.exitReason !== 'end');
          expect(full.trades.slice(0, closed.length)).toEqual(closed);
          expect(Array.from(full.equity.equity.subarray(0, cut - 1))).toEqual(
            Array.from(part.equity.equity.subarray(0, cut - 1)),
          );
        }),
        { numRuns: 120 },
      );
    });

    it('decides nothing before a bar from that bar or later ones (the future replaced)', () => {
      fc.assert(
        fc.property(
          arbitraryCase,
          fc.double({ min: 0.2, max: 0.9, noNaN: true }),
          fc.integer({ min: 1, max: 2 ** 31 - 1 }),
          (c, share, other) => {
            const { input, future } = caseFor(c.precision, c.definition, c.seed, c.n);
            const cut = Math.max(2, Math.floor(c.n * share));
            const a = runBacktest(input);
            const b = runBacktest(future(cut, other));
            const closed = (r: BacktestResult) => r.trades.filter((t) => t.exitBar < cut);
            expect(closed(b)).toEqual(closed(a));
            // The order filled at bar `cut` was decided at the close of bar cut − 1 and fills at
            // bar cut's open, which both markets share. A tick order starts on the same print
            // but may go on filling on later, different prints: only its start must agree.
            const entries = (r: BacktestResult) =>
              c.precision === 'tick'
                ? r.trades.filter((t) => t.entryBar < cut).map((t) => [t.side, t.entryBar, t.entryTime])
                : r.trades.filter((t) => t.entryBar <= cut).map((t) => [t.side, t.entryBar, t.entryPrice, t.units]);
            expect(entries(b)).toEqual(entries(a));
            expect(Array.from(b.equity.equity.subarray(0, cut))).toEqual(Array.from(a.equity.equity.subarray(0, cut)));
          },
        ),
        { numRuns: 150 },
      );
    });

    it('gives byte-identical JSON for identical inputs', () => {
      fc.assert(
        fc.property(arbitraryCase, ({ precision, definition, seed, n }) => {
          const a = runBacktest(caseFor(precision, definition, seed, n).input);
          const b = runBacktest(caseFor(precision, structuredClone(definition), seed, n).input);
          expect(JSON.stringify(b)).toBe(JSON.stringify(a));
          expect(JSON.stringify(a)).not.toMatch(/NaN|Infinity/);
        }),
        { numRuns: 60 },
      );
    });
  });
});
