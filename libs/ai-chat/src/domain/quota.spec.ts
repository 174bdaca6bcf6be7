import { loadConfig } from '@app/platform';
import { dailyMessageLimit, quotaDay, quotaResetAt, recentQuotaDays } from './quota';

describe('quota', () => {
  describe('quotaDay', () => {
    it('is the UTC date, whatever the local offset would say', () => {
      expect(quotaDay(new Date('2025-03-09T23:59:59.999Z'))).toBe('2025-03-09');
      expect(quotaDay(new Date('2025-03-10T00:00:00.000Z'))).toBe('2025-03-10');
      expect(quotaDay(new Date('2025-03-10T01:30:00+02:00'))).toBe('2025-03-09');
    });
  });

  describe('quotaResetAt', () => {
    it('is the next UTC midnight', () => {
      expect(quotaResetAt(new Date('2025-03-09T12:00:00Z')).toISOString()).toBe('2025-03-10T00:00:00.000Z');
      expect(quotaResetAt(new Date('2025-12-31T23:59:59.999Z')).toISOString()).toBe('2026-01-01T00:00:00.000Z');
    });

    it('moves a full day on at midnight itself', () => {
      expect(quotaResetAt(new Date('2025-03-10T00:00:00.000Z')).toISOString()).toBe('2025-03-11T00:00:00.000Z');
    });
  });

  describe('recentQuotaDays', () => {
    it('lists the days ending today, oldest first, across a month end', () => {
      expect(recentQuotaDays(new Date('2025-03-01T08:00:00Z'), 3)).toEqual(['2025-02-27', '2025-02-28', '2025-03-01']);
    });
  });

  describe('dailyMessageLimit', () => {
    it('follows the tiers of docs/tiers.md by default', () => {
      const env = loadConfig({}).env;
      expect([dailyMessageLimit('basic', env), dailyMessageLimit('pro', env), dailyMessageLimit('elite', env)]).toEqual(
        [20, 200, 2000],
      );
    });

    it('takes the limits from config', () => {
      const env = loadConfig({ AI_DAILY_MESSAGES_PRO: '7' }).env;
      expect(dailyMessageLimit('pro', env)).toBe(7);
    });
  });
});
