import { readFileSync } from 'node:fs';
import { EngineError } from '../errors';
import { bars, prints } from '../simulate/fixtures';
import { aggregateCandles, candlesFromRows, candlesFromTrades, sliceCandles } from './aggregate';
import { formatTimeframe, inferTimeframe, parseTimeframe } from './timeframe';
import { validateCandles, validateTrades } from './validate';
import { fixturePath } from '@app/testing';

function engineError(fn: () => unknown): EngineError {
  try {
    fn();
  } catch (error) {
    if (error instanceof EngineError) return error;
    throw error;
  }
  throw new Error('expected an EngineError');
}

describe('parseTimeframe', () => {
  it.each([
    ['1s', 1_000],
    ['15s', 15_000],
    ['1m', 60_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['4h', 14_400_000],
    ['1d', 86_400_000],
    ['1w', 604_800_000],
  ])('reads %s as %i ms', (text, ms) => {
    expect(parseTimeframe(text)).toBe(ms);
    expect(formatTimeframe(ms)).toBe(text);
  });

  it.each(['', '1', 'm', '0m', '1M', '1.5h', '-1h', '1 y'])('rejects %j with INVALID_SETTINGS', (text) => {
    expect(engineError(() => parseTimeframe(text)).code).toBe('INVALID_SETTINGS');
  });
});

describe('inferTimeframe', () => {
  it('takes the most common spacing, so gaps do not count', () => {
    expect(inferTimeframe([0, 60_000, 120_000, 600_000, 660_000])).toBe(60_000);
  });

  it('fails on fewer than two distinct times', () => {
    expect(engineError(() => inferTimeframe([5])).code).toBe('INVALID_MARKET_DATA');
  });
});

describe('validateCandles', () => {
  const good = () =>
    bars([
      [100, 101, 99, 100],
      [100, 102, 98, 101],
      [101, 103, 100, 102],
    ]);

  it('accepts clean candles with gaps', () => {
    const s = good();
    s.time[2] = 10 * 60_000;
    expect(() => validateCandles(s)).not.toThrow();
  });

  it.each([
    ['a NaN price', (s: ReturnType<typeof good>) => (s.close[1] = NaN), 1, 'prices must be finite and positive'],
    ['an infinite high', (s: ReturnType<typeof good>) => (s.high[2] = Infinity), 2, 'prices must be finite'],
    ['a zero price', (s: ReturnType<typeof good>) => (s.low[0] = 0), 0, 'prices must be finite and positive'],
    [
      'high below low',
      (s: ReturnType<typeof good>) => ((s.high[1] = 97), (s.open[1] = 97.5), (s.close[1] = 97.5)),
      1,
      'high 97 < low 98',
    ],
    ['an open outside the range', (s: ReturnType<typeof good>) => (s.open[2] = 104), 2, 'outside [low 100, high 103]'],
    ['a duplicate time', (s: ReturnType<typeof good>) => (s.time[2] = s.time[1]), 2, 'duplicate time'],
    ['unsorted times', (s: ReturnType<typeof good>) => (s.time[1] = -1), 1, 'unsorted'],
    ['a negative volume', (s: ReturnType<typeof good>) => (s.volume[0] = -1), 0, 'volume'],
    ['a NaN time', (s: ReturnType<typeof good>) => (s.time[0] = NaN), 0, 'time is not a finite number'],
  ])('rejects %s with INVALID_MARKET_DATA and the index', (_name, spoil, index, message) => {
    const s = good();
    spoil(s);
    const error = engineError(() => validateCandles(s));
    expect(error.code).toBe('INVALID_MARKET_DATA');
    expect(error.details).toEqual({ series: 'candles', index });
    expect(error.message).toContain(`candles[${index}]`);
    expect(error.message).toContain(message);
  });

  it('rejects arrays of different lengths', () => {
    const s = { ...good(), volume: new Float64Array(2) };
    expect(engineError(() => validateCandles(s)).message).toContain('differ in length');
  });

  it('names the series it was given', () => {
    const s = good();
    s.close[0] = NaN;
    expect(engineError(() => validateCandles(s, 'detail[1]')).message).toMatch(/^detail\[1\]\[0\]/);
  });
});

describe('validateTrades', () => {
  it('accepts prints sharing a millisecond', () => {
    expect(() =>
      validateTrades(
        prints([
          [1, 10, 1],
          [1, 11, 2],
          [2, 10, 1],
        ]),
      ),
    ).not.toThrow();
  });

  it.each([
    [
      'unsorted times',
      [
        [2, 10, 1],
        [1, 10, 1],
      ],
      1,
      'unsorted',
    ],
    ['a NaN price', [[1, NaN, 1]], 0, 'price'],
    [
      'a negative amount',
      [
        [1, 10, 1],
        [2, 10, -1],
      ],
      1,
      'amount',
    ],
  ] as const)('rejects %s', (_name, rows, index, message) => {
    const error = engineError(() => validateTrades(prints(rows.map((r) => [...r] as [number, number, number]))));
    expect(error.code).toBe('INVALID_MARKET_DATA');
    expect(error.details).toEqual({ series: 'trades', index });
    expect(error.message).toContain(message);
  });

  it('rejects a side other than -1, 0 and 1', () => {
    const t = prints([[1, 10, 1]]);
    t.side[0] = 2;
    expect(engineError(() => validateTrades(t)).message).toContain('side');
  });
});

describe('aggregateCandles', () => {
  it('takes the first open, highest high, lowest low, last close and summed volume', () => {
    const minutes = bars([
      [10, 12, 9, 11, 1],
      [11, 15, 10, 14, 2],
      [14, 14, 8, 9, 3],
      [9, 10, 9, 10, 4],
    ]);
    const two = aggregateCandles(minutes, 120_000);
    expect(Array.from(two.time)).toEqual([0, 120_000]);
    expect(Array.from(two.open)).toEqual([10, 14]);
    expect(Array.from(two.high)).toEqual([15, 14]);
    expect(Array.from(two.low)).toEqual([9, 8]);
    expect(Array.from(two.close)).toEqual([14, 10]);
    expect(Array.from(two.volume)).toEqual([3, 7]);
    expect(two.timeframeMs).toBe(120_000);
  });

  it('aligns buckets to epoch multiples and leaves gaps as gaps', () => {
    // Minutes 1, 2 and 7: buckets [0, 5 min) and [5 min, 10 min); nothing in between is invented.
    const minutes = bars([
      [1, 1, 1, 1],
      [2, 2, 2, 2],
      [3, 3, 3, 3],
    ]);
    minutes.time.set([60_000, 120_000, 420_000]);
    const five = aggregateCandles(minutes, 300_000);
    expect(Array.from(five.time)).toEqual([0, 300_000]);
    expect(Array.from(five.close)).toEqual([2, 3]);
  });

  it('returns the series itself for its own timeframe and rejects non-multiples', () => {
    const minutes = bars([[1, 1, 1, 1]]);
    expect(aggregateCandles(minutes, 60_000)).toBe(minutes);
    expect(engineError(() => aggregateCandles(minutes, 90_000)).code).toBe('INVALID_SETTINGS');
    expect(engineError(() => aggregateCandles(minutes, 30_000)).code).toBe('INVALID_SETTINGS');
  });

  it('aggregates the real 1m file into 1h bars that agree with the minutes', () => {
    const rows = JSON.parse(readFileSync(fixturePath('UNITTEST_BTC-1m.json'), 'utf8')) as number[][];
    const minutes = candlesFromRows(rows, 60_000);
    validateCandles(minutes);
    const hours = aggregateCandles(minutes, 3_600_000);
    validateCandles(hours);
    expect(hours.time.length).toBe(240);
    let volume = 0;
    minutes.volume.forEach((v) => (volume += v));
    let hourly = 0;
    hours.volume.forEach((v) => (hourly += v));
    expect(hourly).toBeCloseTo(volume, 6);
    const first = Math.floor(rows[0][0] / 3_600_000) * 3_600_000;
    expect(hours.time[0]).toBe(first);
    expect(hours.open[0]).toBe(rows[0][1]);
  });
});

describe('candlesFromTrades', () => {
  it('builds OHLCV bars from the prints of each bucket', () => {
    const t = prints([
      [1_000, 10, 1],
      [2_000, 12, 2],
      [3_000, 9, 1],
      [61_000, 11, 5],
      [200_000, 13, 1],
    ]);
    const c = candlesFromTrades(t, 60_000);
    expect(Array.from(c.time)).toEqual([0, 60_000, 180_000]);
    expect(Array.from(c.open)).toEqual([10, 11, 13]);
    expect(Array.from(c.high)).toEqual([12, 11, 13]);
    expect(Array.from(c.low)).toEqual([9, 11, 13]);
    expect(Array.from(c.close)).toEqual([9, 11, 13]);
    expect(Array.from(c.volume)).toEqual([4, 5, 1]);
  });
});

describe('candlesFromRows and sliceCandles', () => {
  it('infer the timeframe and share memory', () => {
    const s = candlesFromRows([
      [0, 1, 2, 0.5, 1.5, 10],
      [3_600_000, 1.5, 2, 1, 1, 20],
      [7_200_000, 1, 1, 1, 1, 30],
    ]);
    expect(s.timeframeMs).toBe(3_600_000);
    const tail = sliceCandles(s, 1, 3);
    expect(Array.from(tail.volume)).toEqual([20, 30]);
    tail.close[0] = 2;
    expect(s.close[1]).toBe(2);
  });
});
