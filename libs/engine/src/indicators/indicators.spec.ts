import * as fs from 'node:fs';
import fc from 'fast-check';
import * as ti from 'technicalindicators';
import { EngineError } from '../errors';
import type { CandleSeries, IndicatorSpec, PriceSource } from '../types';
import { INDICATOR_TYPES, PRICE_SOURCES, computeIndicator, indicatorOutputs, priceSource, warmupBars } from '.';
import { fixturePath } from '@app/testing';

function series(rows: number[][], timeframeMs: number): CandleSeries {
  const column = (k: number) => Float64Array.from(rows, (r) => r[k]);
  return {
    time: column(0),
    open: column(1),
    high: column(2),
    low: column(3),
    close: column(4),
    volume: column(5),
    timeframeMs,
  };
}

function loadBtc(): CandleSeries {
  const rows = JSON.parse(fs.readFileSync(fixturePath('UNITTEST_BTC-1m.json'), 'utf8')) as number[][];
  return series(rows, 60_000);
}

function loadGoog(): CandleSeries {
  const lines = fs.readFileSync(fixturePath('GOOG-1d.csv'), 'utf8').trim().split('\n').slice(1);
  const rows = lines.map((line) => {
    const [date, ...values] = line.split(',');
    return [Date.parse(`${date}T00:00:00Z`), ...values.map(Number)];
  });
  return series(rows, 86_400_000);
}

const DATASETS: ReadonlyArray<[string, CandleSeries]> = [
  ['UNITTEST_BTC-1m', loadBtc()],
  ['GOOG-1d', loadGoog()],
];

const list = (a: Float64Array) => Array.from(a);

/** technicalindicators drops the warm-up; put its values back on the bars they belong to. */
function alignEnd(values: ReadonlyArray<number | undefined>, n: number): Float64Array {
  const out = new Float64Array(n).fill(NaN);
  const offset = n - values.length;
  values.forEach((v, k) => (out[offset + k] = v ?? NaN));
  return out;
}

/**
 * Indices where the two series disagree: a NaN on one side only, or
 * |actual − expected| > rel × (|expected| + scale) + abs. `scale` keeps the check meaningful for
 * outputs that cross zero (MACD, ROC) by relating the error to the level of the inputs.
 */
function mismatches(
  actual: Float64Array,
  expected: Float64Array,
  { rel = 1e-9, scale = 0, abs = 0 }: { rel?: number; scale?: number; abs?: number } = {},
): string[] {
  const found: string[] = [];
  if (actual.length !== expected.length) return [`length ${actual.length} != ${expected.length}`];
  for (let i = 0; i < actual.length && found.length < 5; i++) {
    const a = actual[i];
    const e = expected[i];
    const bad = Number.isNaN(e) ? !Number.isNaN(a) : !(Math.abs(a - e) <= rel * (Math.abs(e) + scale) + abs);
    if (bad) found.push(`bar ${i}: ${a} vs ${e}`);
  }
  return found;
}

function leadingNaN(values: Float64Array): number {
  let k = 0;
  while (k < values.length && Number.isNaN(values[k])) k++;
  return k;
}

function meanAbs(values: Float64Array): number {
  let s = 0;
  for (const v of values) s += Math.abs(v);
  return s / values.length;
}

// Independent, deliberately naive reference implementations (O(n × period)) for the indicators
// whose technicalindicators definition differs from ours.
function naiveRsi(values: Float64Array, period: number): Float64Array {
  const out = new Float64Array(values.length).fill(NaN);
  let avgGain = 0;
  let avgLoss = 0;
  for (let i = 1; i < values.length; i++) {
    const change = values[i] - values[i - 1];
    const gain = Math.max(change, 0);
    const loss = Math.max(-change, 0);
    if (i < period) {
      avgGain += gain;
      avgLoss += loss;
      continue;
    }
    if (i === period) {
      avgGain = (avgGain + gain) / period;
      avgLoss = (avgLoss + loss) / period;
    } else {
      avgGain = (avgGain * (period - 1) + gain) / period;
      avgLoss = (avgLoss * (period - 1) + loss) / period;
    }
    out[i] = avgGain === 0 && avgLoss === 0 ? 50 : avgLoss === 0 ? 100 : 100 - 100 / (1 + avgGain / avgLoss);
  }
  return out;
}

function naiveSma(values: Float64Array, period: number): Float64Array {
  const out = new Float64Array(values.length).fill(NaN);
  for (let i = period - 1; i < values.length; i++) {
    let sum = 0;
    for (let j = i - period + 1; j <= i; j++) sum += values[j];
    out[i] = sum / period;
  }
  return out;
}

function naiveStoch(c: CandleSeries, period: number, kSmoothing: number, dPeriod: number) {
  const n = c.close.length;
  const raw = new Float64Array(n).fill(NaN);
  for (let i = period - 1; i < n; i++) {
    let hh = -Infinity;
    let ll = Infinity;
    for (let j = i - period + 1; j <= i; j++) {
      hh = Math.max(hh, c.high[j]);
      ll = Math.min(ll, c.low[j]);
    }
    raw[i] = hh === ll ? 50 : (100 * (c.close[i] - ll)) / (hh - ll);
  }
  const smooth = (values: Float64Array, p: number) => {
    const out = new Float64Array(n).fill(NaN);
    for (let i = 0; i < n; i++) {
      const window = values.subarray(Math.max(0, i - p + 1), i + 1);
      if (window.length === p && !window.some(Number.isNaN)) out[i] = window.reduce((s, v) => s + v, 0) / p;
    }
    return out;
  };
  const k = kSmoothing > 1 ? smooth(raw, kSmoothing) : raw;
  return { k, d: smooth(k, dPeriod) };
}

function naiveRollingVwap(c: CandleSeries, period: number): Float64Array {
  const out = new Float64Array(c.close.length).fill(NaN);
  for (let i = period - 1; i < c.close.length; i++) {
    let pv = 0;
    let v = 0;
    for (let j = i - period + 1; j <= i; j++) {
      pv += ((c.high[j] + c.low[j] + c.close[j]) / 3) * c.volume[j];
      v += c.volume[j];
    }
    out[i] = v > 0 ? pv / v : NaN;
  }
  return out;
}

const SPECS_OF_EVERY_TYPE: IndicatorSpec[] = [
  { type: 'sma', period: 20 },
  { type: 'ema', period: 20 },
  { type: 'wma', period: 20 },
  { type: 'rsi', period: 14 },
  { type: 'macd', fast: 12, slow: 26, signal: 9 },
  { type: 'bbands', period: 20, stdDev: 2 },
  { type: 'atr', period: 14 },
  { type: 'stoch', period: 14, kSmoothing: 3, dPeriod: 3 },
  { type: 'roc', period: 10 },
  { type: 'highest', period: 20 },
  { type: 'lowest', period: 20 },
  { type: 'donchian', period: 20 },
  { type: 'vwap', period: 20 },
  { type: 'vwap' },
];

/** Every type with short periods, so that random series of a few dozen bars get past warm-up. */
const SHORT_SPECS: IndicatorSpec[] = [
  { type: 'sma', period: 5 },
  { type: 'ema', period: 5, source: 'hl2' },
  { type: 'wma', period: 5 },
  { type: 'rsi', period: 5 },
  { type: 'macd', fast: 3, slow: 6, signal: 4 },
  { type: 'bbands', period: 5, stdDev: 2 },
  { type: 'atr', period: 5 },
  { type: 'stoch', period: 5, kSmoothing: 2, dPeriod: 3 },
  { type: 'roc', period: 5 },
  { type: 'highest', period: 5 },
  { type: 'lowest', period: 3, source: 'low' },
  { type: 'donchian', period: 4 },
  { type: 'vwap', period: 5 },
  { type: 'vwap' },
];

describe('computeIndicator', () => {
  describe.each(DATASETS)('on %s', (_name, candles) => {
    const n = candles.close.length;
    const close = list(candles.close);
    const level = meanAbs(candles.close);

    it.each([5, 20, 200])('matches technicalindicators for sma(%i)', (period) => {
      const { value } = computeIndicator({ type: 'sma', period }, candles);
      expect(mismatches(value, alignEnd(ti.sma({ period, values: close }), n))).toEqual([]);
      expect(leadingNaN(value)).toBe(period - 1);
    });

    it.each([5, 20, 200])('matches technicalindicators for ema(%i)', (period) => {
      const { value } = computeIndicator({ type: 'ema', period }, candles);
      expect(mismatches(value, alignEnd(ti.ema({ period, values: close }), n))).toEqual([]);
      expect(leadingNaN(value)).toBe(period - 1);
    });

    it.each([5, 20, 200])('matches technicalindicators for wma(%i)', (period) => {
      const { value } = computeIndicator({ type: 'wma', period }, candles);
      expect(mismatches(value, alignEnd(ti.wma({ period, values: close }), n))).toEqual([]);
    });

    it.each([2, 14, 50])('matches a naive Wilder RSI(%i) and technicalindicators to its 2 decimals', (period) => {
      const { value } = computeIndicator({ type: 'rsi', period }, candles);
      expect(mismatches(value, naiveRsi(candles.close, period), { scale: 100 })).toEqual([]);
      // technicalindicators rounds the RSI to 2 decimals.
      expect(mismatches(value, alignEnd(ti.rsi({ period, values: close }), n), { rel: 0, abs: 0.0051 })).toEqual([]);
      expect(leadingNaN(value)).toBe(period);
    });

    it('matches technicalindicators for macd(12, 26, 9) with EMAs', () => {
      const out = computeIndicator({ type: 'macd', fast: 12, slow: 26, signal: 9 }, candles);
      const ref = ti.macd({
        values: close,
        fastPeriod: 12,
        slowPeriod: 26,
        signalPeriod: 9,
        SimpleMAOscillator: false,
        SimpleMASignal: false,
      });
      expect(
        mismatches(
          out.macd,
          alignEnd(
            ref.map((r) => r.MACD),
            n,
          ),
          { scale: level },
        ),
      ).toEqual([]);
      expect(
        mismatches(
          out.signal,
          alignEnd(
            ref.map((r) => r.signal),
            n,
          ),
          { scale: level },
        ),
      ).toEqual([]);
      expect(
        mismatches(
          out.histogram,
          alignEnd(
            ref.map((r) => r.histogram),
            n,
          ),
          { scale: level },
        ),
      ).toEqual([]);
      expect(leadingNaN(out.macd)).toBe(25);
      expect(leadingNaN(out.signal)).toBe(33);
    });

    it.each([
      [20, 2],
      [10, 1.5],
    ])('matches technicalindicators for bbands(%i, %d)', (period, stdDev) => {
      const out = computeIndicator({ type: 'bbands', period, stdDev }, candles);
      const ref = ti.bollingerbands({ period, stdDev, values: close });
      expect(
        mismatches(
          out.middle,
          alignEnd(
            ref.map((r) => r.middle),
            n,
          ),
        ),
      ).toEqual([]);
      expect(
        mismatches(
          out.upper,
          alignEnd(
            ref.map((r) => r.upper),
            n,
          ),
        ),
      ).toEqual([]);
      expect(
        mismatches(
          out.lower,
          alignEnd(
            ref.map((r) => r.lower),
            n,
          ),
        ),
      ).toEqual([]);
      // The band width alone, so that an error in the deviation is not hidden by the mean.
      const width = out.upper.map((u, i) => u - out.lower[i]);
      const refWidth = alignEnd(
        ref.map((r) => r.upper - r.lower),
        n,
      );
      expect(mismatches(width, refWidth, { rel: 1e-9, abs: level * 1e-13 })).toEqual([]);
    });

    it.each([1, 14])('matches technicalindicators for atr(%i)', (period) => {
      const { value } = computeIndicator({ type: 'atr', period }, candles);
      const ref = ti.atr({ period, high: list(candles.high), low: list(candles.low), close });
      expect(mismatches(value, alignEnd(ref, n))).toEqual([]);
      expect(leadingNaN(value)).toBe(period);
    });

    it.each([1, 10])('matches technicalindicators for roc(%i)', (period) => {
      const { value } = computeIndicator({ type: 'roc', period }, candles);
      expect(mismatches(value, alignEnd(ti.roc({ period, values: close }), n), { scale: 1 })).toEqual([]);
      expect(leadingNaN(value)).toBe(period);
    });

    it.each([1, 3, 20, 77])('matches technicalindicators for highest(%i) and lowest(%i)', (period) => {
      const high = computeIndicator({ type: 'highest', period, source: 'high' }, candles).value;
      const low = computeIndicator({ type: 'lowest', period, source: 'low' }, candles).value;
      expect(mismatches(high, alignEnd(ti.highest({ period, values: list(candles.high) }), n), { rel: 0 })).toEqual([]);
      expect(mismatches(low, alignEnd(ti.lowest({ period, values: list(candles.low) }), n), { rel: 0 })).toEqual([]);
    });

    it('builds donchian(20) from the highest high and the lowest low', () => {
      const out = computeIndicator({ type: 'donchian', period: 20 }, candles);
      const upper = alignEnd(ti.highest({ period: 20, values: list(candles.high) }), n);
      const lower = alignEnd(ti.lowest({ period: 20, values: list(candles.low) }), n);
      expect(mismatches(out.upper, upper, { rel: 0 })).toEqual([]);
      expect(mismatches(out.lower, lower, { rel: 0 })).toEqual([]);
      expect(
        mismatches(
          out.middle,
          upper.map((u, i) => (u + lower[i]) / 2),
          { rel: 0 },
        ),
      ).toEqual([]);
    });

    it('matches technicalindicators for the cumulative vwap', () => {
      const { value } = computeIndicator({ type: 'vwap' }, candles);
      const ref = ti.vwap({
        high: list(candles.high),
        low: list(candles.low),
        close,
        volume: list(candles.volume),
      });
      expect(mismatches(value, alignEnd(ref, n))).toEqual([]);
    });

    it('matches a naive rolling vwap(20) (technicalindicators has no rolling form)', () => {
      const { value } = computeIndicator({ type: 'vwap', period: 20 }, candles);
      expect(mismatches(value, naiveRollingVwap(candles, 20))).toEqual([]);
    });

    it.each([
      [14, 1, 3],
      [14, 3, 3],
      [5, 2, 4],
    ])('matches a naive stochastic(%i, %i, %i)', (period, kSmoothing, dPeriod) => {
      const out = computeIndicator({ type: 'stoch', period, kSmoothing, dPeriod }, candles);
      const ref = naiveStoch(candles, period, kSmoothing, dPeriod);
      expect(mismatches(out.k, ref.k, { scale: 100 })).toEqual([]);
      expect(mismatches(out.d, ref.d, { scale: 100 })).toEqual([]);
      expect(leadingNaN(out.d)).toBe(period + kSmoothing + dPeriod - 3);
    });

    it.each(['hl2', 'hlc3', 'ohlc4'] as const)('reads the %s source', (source) => {
      const expected = {
        hl2: (i: number) => (candles.high[i] + candles.low[i]) / 2,
        hlc3: (i: number) => (candles.high[i] + candles.low[i] + candles.close[i]) / 3,
        ohlc4: (i: number) => (candles.open[i] + candles.high[i] + candles.low[i] + candles.close[i]) / 4,
      }[source];
      const values = priceSource(candles, source);
      expect(
        mismatches(
          values,
          Float64Array.from({ length: n }, (_, i) => expected(i)),
          { rel: 0 },
        ),
      ).toEqual([]);
      const { value } = computeIndicator({ type: 'sma', period: 20, source }, candles);
      expect(mismatches(value, alignEnd(ti.sma({ period: 20, values: list(values) }), n))).toEqual([]);
    });
  });

  it('matches technicalindicators for a fast stochastic(14, 1, 3) on GOOG-1d, which has no flat window', () => {
    const candles = loadGoog();
    const out = computeIndicator({ type: 'stoch', period: 14, kSmoothing: 1, dPeriod: 3 }, candles);
    const ref = ti.stochastic({
      period: 14,
      signalPeriod: 3,
      high: list(candles.high),
      low: list(candles.low),
      close: list(candles.close),
    });
    const n = candles.close.length;
    expect(
      mismatches(
        out.k,
        alignEnd(
          ref.map((r) => r.k),
          n,
        ),
        { scale: 100 },
      ),
    ).toEqual([]);
    expect(
      mismatches(
        out.d,
        alignEnd(
          ref.map((r) => r.d),
          n,
        ),
        { scale: 100 },
      ),
    ).toEqual([]);
  });

  it('gives a stochastic of 50 where technicalindicators gives 0: a window without any range', () => {
    const flat = candlesFrom([5, 5, 5, 5, 6]);
    const { k } = computeIndicator({ type: 'stoch', period: 3, kSmoothing: 1, dPeriod: 1 }, flat);
    expect(list(k)).toEqual([NaN, NaN, 50, 50, 100]);
    const ref = ti.stochastic({
      period: 3,
      signalPeriod: 1,
      high: list(flat.high),
      low: list(flat.low),
      close: list(flat.close),
    });
    expect(ref[0].k).toBe(0);
  });

  it('gives an RSI of 50 where technicalindicators gives 100: no movement at all', () => {
    const { value } = computeIndicator({ type: 'rsi', period: 2 }, candlesFrom([3, 3, 3, 4, 2]));
    expect(list(value)).toEqual([NaN, NaN, 50, 100, 20]);
    expect(ti.rsi({ period: 2, values: [3, 3, 3] })).toEqual([100]);
  });

  it('returns NaN for a rate of change against a zero value', () => {
    const { value } = computeIndicator(
      { type: 'roc', period: 1, source: 'volume' },
      candlesFrom([1, 1, 1], [0, 5, 10]),
    );
    expect(list(value)).toEqual([NaN, NaN, 100]);
  });

  it('returns NaN for a vwap over bars without volume', () => {
    const candles = candlesFrom([1, 2, 3, 4], [0, 0, 2, 0]);
    expect(list(computeIndicator({ type: 'vwap' }, candles).value)).toEqual([NaN, NaN, 3, 3]);
    expect(list(computeIndicator({ type: 'vwap', period: 2 }, candles).value)).toEqual([NaN, NaN, 3, 3]);
  });

  it('keeps a NaN inside the window of a windowed indicator and recovers after it', () => {
    const values = [1, 2, 3, NaN, 5, 6, 7, 8];
    const candles = candlesFrom(values);
    const sma = list(computeIndicator({ type: 'sma', period: 2 }, candles).value);
    expect(sma).toEqual([NaN, 1.5, 2.5, NaN, NaN, 5.5, 6.5, 7.5]);
    const highest = list(computeIndicator({ type: 'highest', period: 2 }, candles).value);
    expect(highest).toEqual([NaN, 2, 3, NaN, NaN, 6, 7, 8]);
    const wma = list(computeIndicator({ type: 'wma', period: 2 }, candles).value);
    expect(wma).toEqual([NaN, 5 / 3, 8 / 3, NaN, NaN, 17 / 3, 20 / 3, 23 / 3]);
  });

  it('restarts the warm-up of a recursive indicator after a NaN', () => {
    const candles = candlesFrom([1, 2, 3, NaN, 5, 6, 7, 8]);
    const ema = list(computeIndicator({ type: 'ema', period: 2 }, candles).value);
    // alpha = 2/3, seeded with the mean of the first two clean values of each run.
    expect(ema).toEqual([
      NaN,
      1.5,
      1.5 + (3 - 1.5) * (2 / 3),
      NaN,
      NaN,
      5.5,
      5.5 + (7 - 5.5) * (2 / 3),
      expect.any(Number),
    ]);
    const rsi = list(computeIndicator({ type: 'rsi', period: 2 }, candles).value);
    expect(rsi).toEqual([NaN, NaN, 100, NaN, NaN, NaN, 100, 100]);
  });

  it('returns every output name of indicatorOutputs and nothing else', () => {
    const candles = randomWalk(300, 7);
    for (const spec of SPECS_OF_EVERY_TYPE) {
      expect(Object.keys(computeIndicator(spec, candles)).sort()).toEqual([...indicatorOutputs(spec.type)].sort());
    }
    expect(new Set(SPECS_OF_EVERY_TYPE.map((s) => s.type))).toEqual(new Set(INDICATOR_TYPES));
  });

  it('has exactly warmupBars leading NaN values in its slowest output', () => {
    const candles = randomWalk(300, 11);
    for (const spec of SPECS_OF_EVERY_TYPE) {
      const outputs = Object.values(computeIndicator(spec, candles));
      expect({ spec, warmup: Math.max(...outputs.map(leadingNaN)) }).toEqual({ spec, warmup: warmupBars(spec) });
    }
  });

  it('forgets the rounding residue of a huge value once it has left the window', () => {
    // Running sums keep a residue of about 1e12 × 2^-53 after the spike leaves; the periodic
    // re-summation must remove it.
    const values = Array.from({ length: 4000 }, (_, i) => (i === 100 ? 1e12 : 0.1 * (i % 7)));
    const candles = candlesFrom(values);
    const exact = naiveSma(candles.close, 10);
    const { value } = computeIndicator({ type: 'sma', period: 10 }, candles);
    expect(mismatches(value.subarray(2000), exact.subarray(2000), { rel: 1e-12 })).toEqual([]);
    const bands = computeIndicator({ type: 'bbands', period: 10, stdDev: 2 }, candles);
    expect(mismatches(bands.middle.subarray(2000), exact.subarray(2000), { rel: 1e-12 })).toEqual([]);
  });

  it('rejects a period that is not an integer from 1 to 10000', () => {
    const candles = candlesFrom([1, 2, 3]);
    expect(() => computeIndicator({ type: 'sma', period: 0 }, candles)).toThrow(EngineError);
    expect(() => computeIndicator({ type: 'ema', period: 2.5 }, candles)).toThrow(EngineError);
    expect(() => computeIndicator({ type: 'macd', slow: 10_001 }, candles)).toThrow(EngineError);
  });

  it('gives values at bar i that do not depend on bars after i', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 1, max: 2, noNaN: true }), { minLength: 2, maxLength: 120 }),
        fc.array(fc.nat({ max: 119 }), { maxLength: 3 }),
        fc.nat(),
        fc.constantFrom(...SHORT_SPECS),
        (closes, nanAt, cut, spec) => {
          const values = closes.map((v, i) => (nanAt.includes(i) ? NaN : v));
          const full = candlesFrom(values, undefined, 0.01);
          const end = 1 + (cut % values.length);
          const truncated = candlesFrom(values.slice(0, end), undefined, 0.01);
          const a = computeIndicator(spec, full);
          const b = computeIndicator(spec, truncated);
          for (const output of indicatorOutputs(spec.type)) {
            expect(list(b[output])).toEqual(list(a[output].subarray(0, end)));
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('priceSource', () => {
  it('returns the candle arrays themselves for raw fields', () => {
    const candles = candlesFrom([1, 2]);
    for (const source of ['open', 'high', 'low', 'close', 'volume'] as PriceSource[]) {
      expect(priceSource(candles, source)).toBe(candles[source as 'open']);
    }
    expect(PRICE_SOURCES).toHaveLength(8);
  });
});

describe('warmupBars', () => {
  it.each<[IndicatorSpec, number]>([
    [{ type: 'sma', period: 10 }, 9],
    [{ type: 'rsi', period: 14 }, 14],
    [{ type: 'atr', period: 14 }, 14],
    [{ type: 'macd' }, 33],
    [{ type: 'macd', fast: 5, slow: 10, signal: 4 }, 12],
    [{ type: 'stoch', period: 14 }, 15],
    [{ type: 'stoch', period: 14, kSmoothing: 3, dPeriod: 3 }, 17],
    [{ type: 'vwap' }, 0],
    [{ type: 'vwap', period: 20 }, 19],
  ])('is %j → %i', (spec, expected) => {
    expect(warmupBars(spec)).toBe(expected);
  });
});

/** Candles opening and closing at `closes`, high/low `spread` away, volume `volumes` or 1. */
function candlesFrom(closes: number[], volumes?: number[], spread = 0): CandleSeries {
  const close = Float64Array.from(closes);
  return {
    time: Float64Array.from(closes, (_, i) => i * 60_000),
    open: close.slice(),
    high: close.map((c) => c * (1 + spread)),
    low: close.map((c) => c * (1 - spread)),
    close,
    volume: Float64Array.from(closes, (_, i) => volumes?.[i] ?? 1),
    timeframeMs: 60_000,
  };
}

function randomWalk(n: number, seed: number): CandleSeries {
  let state = seed;
  const random = () => (state = (state * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
  const close: number[] = [];
  let price = 100;
  for (let i = 0; i < n; i++) {
    price *= 1 + (random() - 0.5) * 0.02;
    close.push(price);
  }
  return candlesFrom(
    close,
    close.map(() => random() * 10),
    0.01,
  );
}
