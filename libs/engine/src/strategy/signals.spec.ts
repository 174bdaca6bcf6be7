import * as fs from 'node:fs';
import fc from 'fast-check';
import { EngineError } from '../errors';
import { computeIndicator } from '../indicators';
import type { CandleSeries, Condition, IndicatorSpec, Operand, SignalSet, StrategyDefinition } from '../types';
import { compileSignals } from './signals';
import { strategyTemplates } from './templates';
import { validateStrategy } from './validate';
import { fixturePath } from '@app/testing';

/** Candles opening and closing at `closes`, high/low 1% away, volume 1. */
function candles(closes: number[]): CandleSeries {
  const close = Float64Array.from(closes);
  return {
    time: Float64Array.from(closes, (_, i) => i * 60_000),
    open: close.slice(),
    high: close.map((c) => c * 1.01),
    low: close.map((c) => c * 0.99),
    close,
    volume: close.map(() => 1),
    timeframeMs: 60_000,
  };
}

function definition(
  long: Condition,
  indicators: Record<string, IndicatorSpec> = {},
  more: Partial<StrategyDefinition> = {},
): StrategyDefinition {
  const result = validateStrategy({ version: 1, indicators, entry: { long }, ...more });
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.definition;
}

const bits = (a: Uint8Array) => Array.from(a).join('');

const CLOSES = [1, 2, 3, 2, 1, 2, 3];

describe('compileSignals', () => {
  it.each<[string, Condition, string]>([
    ['gt', { gt: ['close', 2] }, '0010001'],
    ['gte', { gte: ['close', 2] }, '0111011'],
    ['lt', { lt: ['close', 2] }, '1000100'],
    ['lte', { lte: ['close', 2] }, '1101110'],
    ['gt with the constant first', { gt: [2, 'close'] }, '1000100'],
    ['crossAbove a level', { crossAbove: ['close', 1.5] }, '0100010'],
    ['crossBelow a level', { crossBelow: ['close', 1.5] }, '0000100'],
    ['crossAbove with the constant first (the price crosses below it)', { crossAbove: [1.5, 'close'] }, '0000100'],
    ['crossBelow with the constant first (the price crosses above it)', { crossBelow: [1.5, 'close'] }, '0100010'],
    ['crossAbove that only touches the level before passing it', { crossAbove: ['close', 2] }, '0000000'],
    ['crossAbove between two series', { crossAbove: ['close', 'open'] }, '0000000'],
    ['gt between two price fields', { gt: ['high', 'close'] }, '1111111'],
    ['lt against a derived price', { lt: ['low', 'hl2'] }, '1111111'],
    ['all', { all: [{ gt: ['close', 1] }, { lt: ['close', 3] }] }, '0101010'],
    ['any', { any: [{ lt: ['close', 2] }, { gt: ['close', 2] }] }, '1010101'],
    ['not', { not: { gt: ['close', 1] } }, '1000100'],
    ['not of all', { not: { all: [{ gt: ['close', 1] }, { lt: ['close', 3] }] } }, '1010101'],
    ['not of any', { not: { any: [{ lt: ['close', 2] }, { gt: ['close', 2] }] } }, '0101010'],
    ['double not', { not: { not: { gte: ['close', 3] } } }, '0010001'],
    ['a one-element all', { all: [{ gte: ['close', 3] }] }, '0010001'],
  ])('evaluates %s on every bar', (_name, long, expected) => {
    expect(bits(compileSignals(definition(long), candles(CLOSES)).entryLong)).toBe(expected);
  });

  it('detects crosses of two moving averages on the bar where they happen', () => {
    const closes = [5, 4, 3, 2, 1, 2, 3, 4, 5, 4, 3, 2, 1];
    const def = definition(
      { crossAbove: ['fast', 'slow'] },
      { fast: { type: 'sma', period: 2 }, slow: { type: 'sma', period: 4 } },
      { exit: { long: { crossBelow: ['fast', 'slow'] } } },
    );
    // fast: -, 4.5, 3.5, 2.5, 1.5, 1.5, 2.5, 3.5, 4.5, 4.5, 3.5, 2.5, 1.5
    // slow: -, -, -, 3.5, 2.5, 2, 2, 2.5, 3.5, 4, 4, 3.5, 2.5
    const signals = compileSignals(def, candles(closes));
    expect(bits(signals.entryLong)).toBe('0000001000000');
    expect(bits(signals.exitLong)).toBe('0000000000100');
  });

  it('treats a comparison with an undefined value as false, and so does its negation', () => {
    const def = definition(
      { gt: ['ma', 0] },
      { ma: { type: 'sma', period: 3 } },
      { exit: { long: { not: { lt: ['ma', 0] } } } },
    );
    const signals = compileSignals(def, candles(CLOSES));
    expect(bits(signals.entryLong)).toBe('0011111');
    expect(bits(signals.exitLong)).toBe('0011111');
  });

  it('lets any hold through an undefined operand and all fail through it', () => {
    const indicators: Record<string, IndicatorSpec> = { ma: { type: 'sma', period: 3 } };
    const c = candles(CLOSES);
    const anyOf = definition({ any: [{ gt: ['ma', 100] }, { gt: ['close', 0] }] }, indicators);
    expect(bits(compileSignals(anyOf, c).entryLong)).toBe('1111111');
    const notAll = definition({ not: { all: [{ gt: ['ma', 100] }, { gt: ['close', 0] }] } }, indicators);
    // During warm-up `ma > 100` is undefined and `close > 0` true: the all is undefined, so is its not.
    expect(bits(compileSignals(notAll, c).entryLong)).toBe('0011111');
    const notAllFalse = definition({ not: { all: [{ gt: ['ma', 100] }, { lt: ['close', 0] }] } }, indicators);
    // ... but an all with a false member is false even while another member is undefined.
    expect(bits(compileSignals(notAllFalse, c).entryLong)).toBe('1111111');
  });

  it('never fires a cross on the first bar, nor its negation', () => {
    const c = candles([3, 1, 2]);
    expect(bits(compileSignals(definition({ crossAbove: ['close', 'open'] }), c).entryLong)).toBe('000');
    expect(bits(compileSignals(definition({ not: { crossAbove: ['close', 2] } }), c).entryLong)).toBe('011');
    expect(bits(compileSignals(definition({ not: { crossAbove: ['close', 1.5] } }), c).entryLong)).toBe('010');
  });

  it('treats a cross next to a NaN bar as undefined unless either bar rules it out', () => {
    const c = candles([1, 3, NaN, 1, 3, 1]);
    expect(bits(compileSignals(definition({ crossAbove: ['close', 2] }), c).entryLong)).toBe('010010');
    expect(bits(compileSignals(definition({ crossBelow: ['close', 2] }), c).entryLong)).toBe('000001');
    expect(bits(compileSignals(definition({ not: { crossAbove: ['close', 2] } }), c).entryLong)).toBe('001101');
  });

  it('reads every output of a multi-output indicator', () => {
    const c = candles(CLOSES);
    const bb = computeIndicator({ type: 'bbands', period: 3, stdDev: 1 }, c);
    const def = definition(
      { gt: ['close', 'bb.upper'] },
      { bb: { type: 'bbands', period: 3, stdDev: 1 } },
      { exit: { long: { lt: ['close', 'bb.lower'] } } },
    );
    const signals = compileSignals(def, c);
    const expectedEntry = CLOSES.map((v, i) => (v > bb.upper[i] ? 1 : 0)).join('');
    const expectedExit = CLOSES.map((v, i) => (v < bb.lower[i] ? 1 : 0)).join('');
    expect(bits(signals.entryLong)).toBe(expectedEntry);
    expect(bits(signals.exitLong)).toBe(expectedExit);
    expect(expectedEntry + expectedExit).toMatch(/1/);
  });

  it('gives all-zero arrays for missing rules and arrays as long as the series', () => {
    const signals = compileSignals(definition({ gt: ['close', 0] }), candles(CLOSES));
    expect(bits(signals.entryLong)).toBe('1111111');
    for (const key of ['exitLong', 'entryShort', 'exitShort'] as const) {
      expect(bits(signals[key])).toBe('0000000');
    }
  });

  it('throws INVALID_STRATEGY for a reference to an undeclared indicator', () => {
    const unchecked: StrategyDefinition = { version: 1, indicators: {}, entry: { long: { gt: ['fast', 1] } } };
    expect(() => compileSignals(unchecked, candles(CLOSES))).toThrow(
      expect.objectContaining({ name: 'EngineError', code: 'INVALID_STRATEGY' }) as EngineError,
    );
  });

  it('handles an empty series', () => {
    const signals = compileSignals(definition({ crossAbove: ['close', 1] }), candles([]));
    expect(Object.values(signals).map((s: Uint8Array) => s.length)).toEqual([0, 0, 0, 0]);
  });

  it('evaluates short rules', () => {
    const def = definition({ gt: ['close', 2] }, {}, { allowShort: true, entry: { short: { lt: ['close', 2] } } });
    const signals = compileSignals(def, candles(CLOSES));
    expect(bits(signals.entryLong)).toBe('0000000');
    expect(bits(signals.entryShort)).toBe('1000100');
  });

  it('agrees bar by bar with a naive three-valued evaluation of random rules', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.double({ min: 1, max: 3, noNaN: true }), fc.constant(NaN)), {
          minLength: 1,
          maxLength: 40,
        }),
        arbitraryCondition(),
        (closes, condition) => {
          const c = candles(closes);
          const def = definition(condition, RANDOM_INDICATORS);
          const actual = compileSignals(def, c).entryLong;
          const series = (op: Operand, i: number) => naiveOperand(op, i, def, c);
          const expected = closes.map((_, i) => (naiveEvaluate(condition, i, series) === true ? 1 : 0));
          expect(Array.from(actual)).toEqual(expected);
        },
      ),
      { numRuns: 500 },
    );
  });

  describe('look-ahead', () => {
    const everyIndicator: StrategyDefinition = definition(
      {
        any: [
          { crossAbove: ['sma', 'ema'] },
          { all: [{ lt: ['rsi', 40] }, { gt: ['macd.histogram', 0] }] },
          { not: { lte: ['close', 'bb.upper'] } },
          { gt: ['atr', 'roc'] },
          { crossBelow: ['st.k', 'st.d'] },
          { gte: ['high', 'hi'] },
          { lte: ['low', 'lo'] },
          { gt: ['dc.middle', 'vwap'] },
          { lt: ['wma', 'cvwap'] },
        ],
      },
      {
        sma: { type: 'sma', period: 3 },
        ema: { type: 'ema', period: 5, source: 'hlc3' },
        wma: { type: 'wma', period: 4, source: 'ohlc4' },
        rsi: { type: 'rsi', period: 4 },
        macd: { type: 'macd', fast: 2, slow: 5, signal: 3 },
        bb: { type: 'bbands', period: 4, stdDev: 1 },
        atr: { type: 'atr', period: 3 },
        roc: { type: 'roc', period: 2 },
        st: { type: 'stoch', period: 4, kSmoothing: 2, dPeriod: 2 },
        hi: { type: 'highest', period: 3, source: 'high' },
        lo: { type: 'lowest', period: 3, source: 'low' },
        dc: { type: 'donchian', period: 5 },
        vwap: { type: 'vwap', period: 3 },
        cvwap: { type: 'vwap' },
      },
    );
    const definitions: ReadonlyArray<[string, StrategyDefinition]> = [
      ['every indicator', everyIndicator],
      ...strategyTemplates.map((t) => [t.id, t.definition] as [string, StrategyDefinition]),
    ];

    it.each(definitions)('gives the same signals up to bar N on data truncated after N: %s', (_name, def) => {
      fc.assert(
        fc.property(
          fc.array(fc.double({ min: 50, max: 150, noNaN: true }), { minLength: 1, maxLength: 260 }),
          fc.nat(),
          (closes, cut) => {
            const end = 1 + (cut % closes.length);
            expectSamePrefix(compileSignals(def, candles(closes)), compileSignals(def, candles(closes.slice(0, end))));
          },
        ),
        { numRuns: 100 },
      );
    });

    it.each(definitions)('gives the same signals on real data truncated at several bars: %s', (_name, def) => {
      const btc = loadBtc();
      const full = compileSignals(def, btc);
      expect(Object.values(full).some((s: Uint8Array) => s.includes(1))).toBe(true);
      for (const end of [1, 30, 250, 4_321, 9_999]) {
        expectSamePrefix(full, compileSignals(def, truncate(btc, end)));
      }
    });
  });
});

function expectSamePrefix(full: SignalSet, truncated: SignalSet): void {
  for (const key of ['entryLong', 'exitLong', 'entryShort', 'exitShort'] as const) {
    const n = truncated[key].length;
    expect(bits(full[key].subarray(0, n))).toBe(bits(truncated[key]));
  }
}

function truncate(c: CandleSeries, end: number): CandleSeries {
  return {
    time: c.time.slice(0, end),
    open: c.open.slice(0, end),
    high: c.high.slice(0, end),
    low: c.low.slice(0, end),
    close: c.close.slice(0, end),
    volume: c.volume.slice(0, end),
    timeframeMs: c.timeframeMs,
  };
}

function loadBtc(): CandleSeries {
  const file = fixturePath('UNITTEST_BTC-1m.json');
  const rows = JSON.parse(fs.readFileSync(file, 'utf8')) as number[][];
  const column = (k: number) => Float64Array.from(rows, (r) => r[k]);
  return {
    time: column(0),
    open: column(1),
    high: column(2),
    low: column(3),
    close: column(4),
    volume: column(5),
    timeframeMs: 60_000,
  };
}

const RANDOM_INDICATORS: Record<string, IndicatorSpec> = {
  ma: { type: 'sma', period: 3 },
  bb: { type: 'bbands', period: 2, stdDev: 1 },
};
const RANDOM_OPERANDS: Operand[] = ['close', 'open', 'high', 'hl2', 'ma', 'bb.upper', 'bb.lower', 2];

function arbitraryCondition(): fc.Arbitrary<Condition> {
  const operand = fc.constantFrom(...RANDOM_OPERANDS);
  const comparison = fc
    .tuple(fc.constantFrom('gt', 'gte', 'lt', 'lte', 'crossAbove', 'crossBelow'), operand, operand)
    .filter(([, a, b]) => typeof a !== 'number' || typeof b !== 'number')
    .map(([op, a, b]) => ({ [op]: [a, b] }) as Condition);
  const { condition } = fc.letrec<{ condition: Condition }>((tie) => ({
    condition: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      comparison,
      fc.array(tie('condition'), { minLength: 1, maxLength: 3 }).map((all) => ({ all })),
      fc.array(tie('condition'), { minLength: 1, maxLength: 3 }).map((any) => ({ any })),
      tie('condition').map((not) => ({ not })),
    ),
  }));
  return condition;
}

/** Per-bar reference: undefined is Kleene's "unknown". */
function naiveEvaluate(c: Condition, i: number, value: (op: Operand, i: number) => number): boolean | undefined {
  const cmp = (x: number, y: number, f: (x: number, y: number) => boolean) =>
    Number.isNaN(x) || Number.isNaN(y) ? undefined : f(x, y);
  if ('all' in c) {
    const r = c.all.map((x) => naiveEvaluate(x, i, value));
    return r.includes(false) ? false : r.includes(undefined) ? undefined : true;
  }
  if ('any' in c) {
    const r = c.any.map((x) => naiveEvaluate(x, i, value));
    return r.includes(true) ? true : r.includes(undefined) ? undefined : false;
  }
  if ('not' in c) {
    const r = naiveEvaluate(c.not, i, value);
    return r === undefined ? undefined : !r;
  }
  const [op, [a, b]] = Object.entries(c)[0];
  const x = value(a, i);
  const y = value(b, i);
  switch (op) {
    case 'gt':
      return cmp(x, y, (p, q) => p > q);
    case 'gte':
      return cmp(x, y, (p, q) => p >= q);
    case 'lt':
      return cmp(x, y, (p, q) => p < q);
    case 'lte':
      return cmp(x, y, (p, q) => p <= q);
    default: {
      if (i === 0) return undefined;
      const px = value(a, i - 1);
      const py = value(b, i - 1);
      const [before, after] =
        op === 'crossAbove'
          ? [cmp(px, py, (p, q) => p < q), cmp(x, y, (p, q) => p > q)]
          : [cmp(px, py, (p, q) => p > q), cmp(x, y, (p, q) => p < q)];
      return before === false || after === false
        ? false
        : before === undefined || after === undefined
          ? undefined
          : true;
    }
  }
}

function naiveOperand(op: Operand, i: number, def: StrategyDefinition, c: CandleSeries): number {
  if (typeof op === 'number') return op;
  if (op === 'hl2') return (c.high[i] + c.low[i]) / 2;
  if (op === 'close' || op === 'open' || op === 'high') return c[op][i];
  const [name, output = 'value'] = op.split('.');
  return computeIndicator(def.indicators[name], c)[output][i];
}
