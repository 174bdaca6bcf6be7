import { checkPlan, timeframeToMs } from './plan';
import { addMonths, TIERS, utcDay } from './tiers';

const request = {
  strategyId: 's',
  exchange: 'x',
  symbol: 'A/B',
  timeframe: '1h',
  from: Date.UTC(2024, 0, 31),
  to: Date.UTC(2024, 2, 1),
  initialCapital: 1_000,
};

describe('checkPlan', () => {
  it('accepts what the tier allows', () => {
    expect(checkPlan(request, 'kline', TIERS.basic)).toBeUndefined();
    expect(checkPlan({ ...request, timeframe: '1s' }, 'kline', TIERS.pro)).toBeUndefined();
    expect(checkPlan({ ...request, latencyMs: 20 }, 'tick', TIERS.elite)).toBeUndefined();
  });

  it('refuses a higher precision, a finer timeframe or a longer span than the tier has', () => {
    expect(checkPlan(request, 'hybrid', TIERS.basic)).toMatchObject({ kind: 'tier' });
    expect(checkPlan({ ...request, timeframe: '1s' }, 'kline', TIERS.basic)).toMatchObject({ kind: 'tier' });
    const sevenMonths = { ...request, to: addMonths(request.from, 6) + 1 };
    expect(checkPlan(sevenMonths, 'kline', TIERS.basic)).toMatchObject({
      kind: 'tier',
      message: expect.stringMatching(/6 months/),
    });
    expect(checkPlan(sevenMonths, 'kline', TIERS.pro)).toBeUndefined();
  });

  it('names bad input by field', () => {
    expect(checkPlan({ ...request, from: request.to }, 'kline', TIERS.basic)).toEqual({
      kind: 'invalid',
      errors: [{ field: 'from', message: '`from` must be before `to`' }],
    });
    expect(checkPlan({ ...request, timeframe: '1s' }, 'hybrid', TIERS.pro)).toMatchObject({
      kind: 'invalid',
      errors: [{ field: 'timeframe' }],
    });
    expect(checkPlan({ ...request, detailTimeframe: '7m' }, 'hybrid', TIERS.pro)).toMatchObject({
      errors: [{ field: 'detailTimeframe', message: 'must be finer than 1h and divide it' }],
    });
    expect(checkPlan({ ...request, detailTimeframe: '1m' }, 'kline', TIERS.pro)).toMatchObject({
      errors: [{ field: 'detailTimeframe' }],
    });
  });
});

describe('calendar helpers', () => {
  it('adds months like a calendar, clamping to the month’s last day', () => {
    expect(new Date(addMonths(Date.UTC(2024, 0, 31), 1)).toISOString()).toBe('2024-02-29T00:00:00.000Z');
    expect(new Date(addMonths(Date.UTC(2023, 7, 15, 12), 6)).toISOString()).toBe('2024-02-15T12:00:00.000Z');
  });

  it('finds the UTC day and its end', () => {
    expect(utcDay(Date.UTC(2024, 4, 5, 23, 59))).toEqual({ start: Date.UTC(2024, 4, 5), end: Date.UTC(2024, 4, 6) });
  });

  it('reads timeframes', () => {
    expect(timeframeToMs('15m')).toBe(900_000);
    expect(timeframeToMs('1w')).toBe(604_800_000);
    expect(timeframeToMs('1M')).toBeUndefined();
  });
});
