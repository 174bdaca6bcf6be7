import fc from 'fast-check';
import { runBacktest, runBacktestStream } from './backtest';
import { aggregateCandles, candlesFromTrades, sliceCandles } from './data/aggregate';
import { EngineError } from './errors';
import { toResultJson } from './json';
import { bars, MINUTE } from './simulate/fixtures';
import type { BacktestSettings, CandleSeries, StrategyDefinition, TradeSeries } from './types';

/** xorshift32 from a seed: the markets below are drawn from it, so fast-check shrinks seeds. */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/**
 * Prints over `minutes` minutes: bursts at random times, several on one millisecond at times,
 * whole minutes without any (gaps), amounts small enough that an order fills over many prints.
 */
function market(seed: number, minutes: number): TradeSeries {
  const next = random(seed);
  const rows: [number, number, number][] = [];
  let price = 100;
  let t = 0;
  while (t < minutes * MINUTE) {
    // Now and then a quiet stretch of one to three minutes.
    t += next() < 0.03 ? MINUTE * (1 + Math.floor(next() * 3)) : Math.floor(next() * 4_000);
    price *= 1 + (next() - 0.5) * 0.01;
    rows.push([t, price, 0.05 + next() * 2]);
    if (next() < 0.2) rows.push([t, price * (1 + (next() - 0.5) * 0.002), 0.05 + next()]);
  }
  const n = rows.length;
  return {
    time: Float64Array.from(rows, (r) => r[0]),
    price: Float64Array.from(rows, (r) => r[1]),
    amount: Float64Array.from(rows, (r) => r[2]),
    side: Int8Array.from({ length: n }, (_, i) => (i % 3) - 1),
  };
}

/** A random walk of detail bars every `timeframeMs`, with missing bars (gaps). */
function walkBars(seed: number, count: number, timeframeMs: number): CandleSeries {
  const next = random(seed);
  const rows: number[][] = [];
  const times: number[] = [];
  let price = 100;
  for (let i = 0; i < count; i++) {
    const o = price;
    const c = o * (1 + (next() - 0.5) * 0.02);
    price = c;
    if (next() < 0.1) continue;
    rows.push([o, Math.max(o, c) * (1 + next() * 0.01), Math.min(o, c) * (1 - next() * 0.01), c]);
    times.push(i * timeframeMs);
  }
  const s = bars(rows, timeframeMs);
  times.forEach((t, i) => (s.time[i] = t));
  return s;
}

function slicePrints(t: TradeSeries, from: number, to: number): TradeSeries {
  return {
    time: t.time.subarray(from, to),
    price: t.price.subarray(from, to),
    amount: t.amount.subarray(from, to),
    side: t.side.subarray(from, to),
  };
}

/** Cuts `[0, n)` into chunks of the given sizes in turn (0 = an empty chunk). */
function cuts(n: number, sizes: readonly number[]): [number, number][] {
  const out: [number, number][] = [];
  let from = 0;
  for (let k = 0; from < n; k++) {
    const to = Math.min(n, from + sizes[k % sizes.length]);
    out.push([from, to]);
    from = to;
  }
  return out;
}

function definition(risk: StrategyDefinition['risk'], allowShort: boolean): StrategyDefinition {
  const up = { crossAbove: ['fast', 'slow'] as [string, string] };
  const down = { crossBelow: ['fast', 'slow'] as [string, string] };
  return {
    version: 1,
    indicators: { fast: { type: 'sma', period: 2 }, slow: { type: 'sma', period: 5 } },
    entry: allowShort ? { long: up, short: down } : { long: up },
    exit: allowShort ? { long: down, short: up } : { long: down },
    risk,
    allowShort,
  };
}

const risks = fc.record({
  stopLossPct: fc.constantFrom(undefined, 0.3, 1),
  takeProfitPct: fc.constantFrom(undefined, 0.4, 2),
  trailingStopPct: fc.constantFrom(undefined, 0.2, 0.8),
});

/** Chunk sizes: all ones, or a random mix of small and larger sizes with empty chunks. */
const chunkSizes = fc.oneof(
  fc.constant([1]),
  fc
    .array(fc.oneof(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 200 })), { minLength: 1, maxLength: 8 })
    // Sizes that are all zero would cut empty chunks forever.
    .filter((sizes) => sizes.some((size) => size > 0)),
);

describe('streamed series', () => {
  it('give the tick result of the whole prints, byte for byte, however they are cut', () => {
    const seen = { multiPrintFills: 0, edgesInsideBars: 0, edgesOnGaps: 0 };
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 31 }),
        risks,
        fc.boolean(),
        fc.constantFrom(0, 50, 2_000),
        fc.constantFrom(5_000, 60_000),
        fc.integer({ min: 1, max: 1_000 }),
        chunkSizes,
        (seed, risk, allowShort, latencyMs, impactLookbackMs, capital, sizes) => {
          const trades = market(seed, 40);
          const candles = candlesFromTrades(trades, MINUTE);
          const settings: BacktestSettings = {
            initialCapital: capital,
            feeRate: 0.001,
            tick: { latencyMs, impactCoefficient: 1, impactLookbackMs },
          };
          const input = { definition: definition(risk, allowShort), precision: 'tick' as const, candles, settings };
          const whole = toResultJson(runBacktest({ ...input, trades }));
          const pieces = cuts(trades.time.length, sizes);
          const streamed = runBacktestStream({ ...input, trades: pieces.map(([a, b]) => slicePrints(trades, a, b)) });
          expect(toResultJson(streamed)).toBe(whole);

          if (streamed.trades.some((t) => t.partialFills > 0) && pieces.length > 1) seen.multiPrintFills++;
          for (const [a] of pieces.slice(1)) {
            if (a === 0 || a >= trades.time.length) continue;
            const gap = trades.time[a] - trades.time[a - 1] >= MINUTE;
            if (gap) seen.edgesOnGaps++;
            else if (Math.floor(trades.time[a] / MINUTE) === Math.floor(trades.time[a - 1] / MINUTE))
              seen.edgesInsideBars++;
          }
        },
      ),
      { numRuns: 150 },
    );
    expect(seen.multiPrintFills).toBeGreaterThan(20);
    expect(seen.edgesInsideBars).toBeGreaterThan(100);
    expect(seen.edgesOnGaps).toBeGreaterThan(20);
  });

  it('give the hybrid result of the whole detail series, byte for byte, however they are cut', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 31 }),
        risks,
        fc.boolean(),
        chunkSizes,
        chunkSizes,
        (seed, risk, allowShort, sizes, finerSizes) => {
          const minutes = walkBars(seed, 300, MINUTE);
          const seconds = walkBars(seed + 1, 300 * 6, 10_000);
          const candles = aggregateCandles(minutes, 10 * MINUTE);
          const input = {
            definition: definition(risk, allowShort),
            precision: 'hybrid' as const,
            candles,
            settings: { initialCapital: 1_000, feeRate: 0.001, slippageBps: 3 },
          };
          const whole = toResultJson(runBacktest({ ...input, detail: [minutes, seconds] }));
          const stream = (s: CandleSeries, z: readonly number[]) => ({
            timeframeMs: s.timeframeMs,
            chunks: cuts(s.time.length, z).map(([a, b]) => sliceCandles(s, a, b)),
          });
          const streamed = runBacktestStream({
            ...input,
            detail: [stream(minutes, sizes), stream(seconds, finerSizes)],
          });
          expect(toResultJson(streamed)).toBe(whole);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('are read as the run reaches them, not gathered first', () => {
    const trades = market(7, 200);
    const candles = candlesFromTrades(trades, MINUTE);
    const pieces = cuts(trades.time.length, [50]);
    let pulled = 0;
    const pulledAtProgress: number[] = [];
    function* chunks() {
      for (const [a, b] of pieces) {
        pulled++;
        yield slicePrints(trades, a, b);
      }
    }
    runBacktestStream({
      definition: definition({}, true),
      precision: 'tick',
      candles,
      trades: chunks(),
      settings: { initialCapital: 1_000 },
      onProgress: (percent) => void (percent > 5 && percent < 90 && pulledAtProgress.push(pulled)),
    });
    expect(pulled).toBe(pieces.length);
    expect(pulledAtProgress.length).toBeGreaterThan(5);
    expect(pulledAtProgress[0]).toBeLessThan(pieces.length / 4);
    expect(pulledAtProgress).toEqual([...pulledAtProgress].sort((a, b) => a - b));
  });

  it('are checked chunk by chunk, with the error a whole series gives', () => {
    const trades = market(3, 20);
    trades.time[70] = trades.time[69] - 1;
    const candles = candlesFromTrades(market(3, 20), MINUTE);
    const input = {
      definition: definition({}, false),
      precision: 'tick' as const,
      candles,
      settings: { initialCapital: 1 },
    };
    const whole = (() => {
      try {
        runBacktest({ ...input, trades });
      } catch (e) {
        return e as EngineError;
      }
    })();
    expect(whole).toMatchObject({ code: 'INVALID_MARKET_DATA', details: { series: 'trades', index: 70 } });
    const pieces = cuts(trades.time.length, [7]);
    expect(() => runBacktestStream({ ...input, trades: pieces.map(([a, b]) => slicePrints(trades, a, b)) })).toThrow(
      expect.objectContaining({ code: whole!.code, message: whole!.message, details: whole!.details }),
    );

    const minutes = walkBars(5, 100, MINUTE);
    const base = aggregateCandles(minutes, 10 * MINUTE);
    minutes.high[42] = minutes.low[42] / 2;
    const detail = { timeframeMs: MINUTE, chunks: cuts(100, [10]).map(([a, b]) => sliceCandles(minutes, a, b)) };
    expect(() => runBacktestStream({ ...input, precision: 'hybrid', candles: base, detail: [detail] })).toThrow(
      expect.objectContaining({ code: 'INVALID_MARKET_DATA', details: { series: 'detail[0]', index: 42 } }),
    );
  });
});
