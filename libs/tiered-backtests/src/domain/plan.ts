import type { Precision } from '@app/engine';
import type { FieldError } from '@app/platform';
import { addMonths, TierLimits } from './tiers';

export interface BacktestRequest {
  strategyId: string;
  version?: number;
  exchange: string;
  symbol: string;
  timeframe: string;
  from: number;
  to: number;
  initialCapital: number;
  feeRate?: number;
  slippageBps?: number;
  precision?: Precision;
  detailTimeframe?: string;
  latencyMs?: number;
}

/** Why a request cannot run: bad input (400) or more than the tier allows (403). */
export type PlanProblem = { kind: 'invalid'; errors: FieldError[] } | { kind: 'tier'; message: string };

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Milliseconds of `1m`, `4h`, … or undefined when the text is not a timeframe. */
export function timeframeToMs(text: string): number | undefined {
  const m = /^([1-9]\d{0,3})([smhdw])$/.exec(text);
  return m ? Number(m[1]) * UNIT_MS[m[2]] : undefined;
}

/**
 * Checks one request against the tier table and the precision's needs, without data: the
 * precision and timeframe the tier allows, the span, and the options that belong to one
 * precision only. Undefined when the request may go on to the data checks.
 */
export function checkPlan(request: BacktestRequest, precision: Precision, limits: TierLimits): PlanProblem | undefined {
  const errors: FieldError[] = [];
  if (!(request.from < request.to)) errors.push({ field: 'from', message: '`from` must be before `to`' });
  const tfMs = timeframeToMs(request.timeframe);
  if (tfMs === undefined) errors.push({ field: 'timeframe', message: 'is not a timeframe such as 1m, 15m, 1h or 1d' });
  if (request.detailTimeframe !== undefined && precision !== 'hybrid') {
    errors.push({ field: 'detailTimeframe', message: 'applies to hybrid precision only' });
  }
  if (request.latencyMs !== undefined && precision !== 'tick') {
    errors.push({ field: 'latencyMs', message: 'applies to tick precision only' });
  }
  if (precision === 'hybrid' && tfMs !== undefined) {
    if (tfMs <= 1_000) {
      errors.push({
        field: 'timeframe',
        message: 'hybrid precision needs a timeframe above 1s: no finer detail exists',
      });
    } else if (request.detailTimeframe !== undefined) {
      const detailMs = timeframeToMs(request.detailTimeframe);
      if (detailMs === undefined) {
        errors.push({ field: 'detailTimeframe', message: 'is not a timeframe such as 1s or 1m' });
      } else if (!(detailMs < tfMs && tfMs % detailMs === 0)) {
        errors.push({ field: 'detailTimeframe', message: `must be finer than ${request.timeframe} and divide it` });
      }
    }
  }
  if (errors.length > 0) return { kind: 'invalid', errors };

  if (!limits.precisions.includes(precision)) {
    return {
      kind: 'tier',
      message: `The ${limits.tier} tier runs ${limits.precisions.join(', ')} backtests, not ${precision}.`,
    };
  }
  if (!limits.timeframes.includes(request.timeframe)) {
    return { kind: 'tier', message: `The ${limits.tier} tier allows the timeframes ${limits.timeframes.join(', ')}.` };
  }
  if (request.to > addMonths(request.from, limits.maxSpanMonths)) {
    return {
      kind: 'tier',
      message: `The ${limits.tier} tier allows at most ${limits.maxSpanMonths} months from \`from\` to \`to\`.`,
    };
  }
  return undefined;
}
