import type { Calendar } from '../types';

const DAY_MS = 86_400_000;
/** A US equity session, 09:30–16:00. */
const SESSION_MS = 6.5 * 3_600_000;

/**
 * Bars per year for annualising per-bar statistics.
 * - crypto trades around the clock: 365 days / bar length;
 * - equity has 252 sessions a year: intraday bars count 6.5-hour sessions (252 × 6.5 h / bar),
 *   bars of one to six days count one session per day (252 / days), weekly and longer bars five
 *   sessions per seven days (252 / (days × 5 / 7)).
 */
export function periodsPerYear(calendar: Calendar, timeframeMs: number): number {
  if (calendar === 'crypto') return (365 * DAY_MS) / timeframeMs;
  if (timeframeMs < DAY_MS) return (252 * SESSION_MS) / timeframeMs;
  const days = timeframeMs / DAY_MS;
  return days < 7 ? 252 / days : 252 / ((days * 5) / 7);
}

/** Length of a year for compounding over a time span (CAGR): the mean Gregorian year. */
export const YEAR_MS = 365.2425 * DAY_MS;
