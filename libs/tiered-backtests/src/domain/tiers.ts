import type { Precision } from '@app/engine';

export type TierName = 'basic' | 'pro' | 'elite';
export const BACKTEST_STATUSES = ['queued', 'running', 'completed', 'failed', 'cancelled'] as const;
export type BacktestStatus = (typeof BACKTEST_STATUSES)[number];
export const ACTIVE_STATUSES: readonly BacktestStatus[] = ['queued', 'running'];
export const TERMINAL_STATUSES: readonly BacktestStatus[] = ['completed', 'failed', 'cancelled'];
export const PRECISIONS: readonly Precision[] = ['kline', 'hybrid', 'tick'];

export interface TierLimits {
  tier: TierName;
  /** Every precision the tier may ask for, lowest first; the last is its default. */
  precisions: Precision[];
  timeframes: string[];
  maxSpanMonths: number;
  maxConcurrent: number;
  dailyBacktests: number;
  dailyAiMessages: number;
  priority: 'low' | 'normal' | 'high';
}

const BASIC_TIMEFRAMES = ['1m', '5m', '15m', '1h', '4h', '1d'];
const PRO_TIMEFRAMES = ['1s', '5s', '15s', '30s', ...BASIC_TIMEFRAMES];

/**
 * The tier table of docs/tiers.md. Elite's "tick" is the tick precision, not a timeframe
 * (rules still evaluate on bars, built from the prints when no candles are stored): bars
 * finer than 1s are not a timeframe the engine or the market store knows.
 */
export const TIERS: Readonly<Record<TierName, TierLimits>> = {
  basic: {
    tier: 'basic',
    precisions: ['kline'],
    timeframes: BASIC_TIMEFRAMES,
    maxSpanMonths: 6,
    maxConcurrent: 3,
    dailyBacktests: 50,
    dailyAiMessages: 20,
    priority: 'low',
  },
  pro: {
    tier: 'pro',
    precisions: ['kline', 'hybrid'],
    timeframes: PRO_TIMEFRAMES,
    maxSpanMonths: 24,
    maxConcurrent: 10,
    dailyBacktests: 500,
    dailyAiMessages: 200,
    priority: 'normal',
  },
  elite: {
    tier: 'elite',
    precisions: ['kline', 'hybrid', 'tick'],
    timeframes: PRO_TIMEFRAMES,
    maxSpanMonths: 60,
    maxConcurrent: 50,
    dailyBacktests: 5000,
    dailyAiMessages: 2000,
    priority: 'high',
  },
};

export const bestPrecision = (tier: TierName): Precision => TIERS[tier].precisions[TIERS[tier].precisions.length - 1];

/** `from` plus whole calendar months (UTC), clamped to the month's last day like a calendar does. */
export function addMonths(from: number, months: number): number {
  const d = new Date(from);
  const day = d.getUTCDate();
  const target = new Date(
    Date.UTC(
      d.getUTCFullYear(),
      d.getUTCMonth() + months,
      1,
      d.getUTCHours(),
      d.getUTCMinutes(),
      d.getUTCSeconds(),
      d.getUTCMilliseconds(),
    ),
  );
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(day, lastDay));
  return target.getTime();
}

/** Start of the UTC day holding `now`, and of the next one (when daily quotas reset). */
export function utcDay(now: number): { start: number; end: number } {
  const start = Math.floor(now / 86_400_000) * 86_400_000;
  return { start, end: start + 86_400_000 };
}
