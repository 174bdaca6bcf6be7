import { PRECISION_MODE, closedBars, findGaps, precisionDigits, rateLimitDelayMs, tradeSide } from './sync-plan';

const M = 60_000;
const bar = (t: number, close = 10) => [t, 10, 12, 9, close, 5] as [number, number, number, number, number, number];

describe('closedBars', () => {
  it('keeps the bars from `since` that are closed at `now`, never the open one', () => {
    const rows = [bar(0), bar(M), bar(2 * M), bar(3 * M)];
    // At 3m30s the 3m bar is still open.
    expect(closedBars(rows, M, 3 * M + 30_000, M)).toEqual([bar(M), bar(2 * M)]);
    // At exactly 4m it has closed.
    expect(closedBars(rows, M, 4 * M, M)).toEqual([bar(M), bar(2 * M), bar(3 * M)]);
  });

  it('reads numbers given as strings', () => {
    expect(closedBars([['0', '1.5', '2', '1', '1.75', '0']], 0, M, M)).toEqual([[0, 1.5, 2, 1, 1.75, 0]]);
  });

  it.each([
    [[bar(M), bar(0)], 'bar 0 does not come after bar 60000'],
    [[bar(0), bar(0)], 'bar 0 does not come after bar 0'],
    [[[0, 1, 2, 1, null, 3]], 'bar 0 has a value that is not a number'],
    [[[0, 0, 2, 0, 1, 3]], 'bar 0 has a non-positive price or a negative volume'],
    [[[0, 1, 2, 1.5, 1.7, 3]], 'bar 0 has open or close outside its low-high range'],
    [[[1.5, 1, 2, 1, 1, 3]], 'bar time 1.5 is not an epoch-millisecond time'],
  ])('refuses %j: %s', (rows, message) => {
    expect(closedBars(rows, 0, 10 * M, M)).toBe(message);
  });
});

describe('findGaps', () => {
  it('finds nothing in a contiguous series', () => {
    expect(findGaps(0, [M, 2 * M, 3 * M], M)).toEqual([]);
  });

  it('finds a gap between the last stored bar and the first fetched one', () => {
    expect(findGaps(0, [4 * M, 5 * M], M)).toEqual([{ start: M, end: 4 * M, missing: 3 }]);
  });

  it('finds gaps inside a page', () => {
    expect(findGaps(null, [0, M, 5 * M, 6 * M, 8 * M], M)).toEqual([
      { start: 2 * M, end: 5 * M, missing: 3 },
      { start: 7 * M, end: 8 * M, missing: 1 },
    ]);
  });

  it('does not call the time before the first bar ever seen a gap (the market may be younger)', () => {
    expect(findGaps(null, [100 * M], M)).toEqual([]);
  });
});

describe('precisionDigits', () => {
  it.each([
    [0.01, 2],
    [0.00000001, 8],
    [0.00001, 5],
    [1, 0],
    [5, 0],
    [0.5, 1],
    [0.25, 2],
  ])('turns the tick size %p into %p decimals', (tick, digits) => {
    expect(precisionDigits(tick, PRECISION_MODE.tickSize)).toBe(digits);
  });

  it('takes decimal places as they are and gives up on significant digits', () => {
    expect(precisionDigits(4, PRECISION_MODE.decimalPlaces)).toBe(4);
    expect(precisionDigits(4, PRECISION_MODE.significantDigits)).toBeNull();
    expect(precisionDigits(undefined, PRECISION_MODE.tickSize)).toBeNull();
  });
});

describe('rateLimitDelayMs', () => {
  const now = Date.UTC(2024, 0, 1);

  it('honours Retry-After in seconds', () => {
    expect(rateLimitDelayMs('3', 0, now)).toBe(3_000);
    expect(rateLimitDelayMs('0.5', 4, now)).toBe(500);
  });

  it('honours Retry-After as an HTTP date', () => {
    expect(rateLimitDelayMs(new Date(now + 7_000).toUTCString(), 0, now)).toBe(7_000);
  });

  it('backs off exponentially without one, up to 30 seconds', () => {
    expect([0, 1, 2, 3, 10].map((a) => rateLimitDelayMs(undefined, a, now))).toEqual([
      1_000, 2_000, 4_000, 8_000, 30_000,
    ]);
  });
});

describe('tradeSide', () => {
  it('stores the taker side as 1, -1 or 0', () => {
    expect([tradeSide('buy'), tradeSide('sell'), tradeSide(undefined)]).toEqual([1, -1, 0]);
  });
});
