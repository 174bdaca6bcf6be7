import type { Env } from '@app/platform';

export type AiTier = 'basic' | 'pro' | 'elite';

const DAY_MS = 86_400_000;

/** AI chat messages a user of `tier` may send per UTC day (docs/tiers.md, overridable in config). */
export function dailyMessageLimit(tier: AiTier, env: Env): number {
  switch (tier) {
    case 'basic':
      return env.AI_DAILY_MESSAGES_BASIC;
    case 'pro':
      return env.AI_DAILY_MESSAGES_PRO;
    case 'elite':
      return env.AI_DAILY_MESSAGES_ELITE;
  }
}

/** The quota day `now` falls in: its UTC date, `YYYY-MM-DD`. */
export function quotaDay(now: Date): string {
  return now.toISOString().slice(0, 10);
}

/** When the quota of `now`'s day resets: the next UTC midnight. */
export function quotaResetAt(now: Date): Date {
  return new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS + DAY_MS);
}

/** The `days` quota days ending with `now`'s, oldest first. */
export function recentQuotaDays(now: Date, days: number): string[] {
  const today = Math.floor(now.getTime() / DAY_MS) * DAY_MS;
  return Array.from({ length: days }, (_, i) => quotaDay(new Date(today - (days - 1 - i) * DAY_MS)));
}
