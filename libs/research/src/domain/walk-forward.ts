import { ResearchError } from './errors';
import type { ParamRange, ParamSpace, ParamValue, ParamValues } from './space';

/** An ISO-8601 duration's components (P1Y2M3W4DT5H6M7S); fractions are not accepted. */
export interface IsoDuration {
  years: number;
  months: number;
  weeks: number;
  days: number;
  hours: number;
  minutes: number;
  seconds: number;
}

const DURATION = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;

export function parseIsoDuration(text: string, path = 'duration'): IsoDuration {
  const m = typeof text === 'string' ? DURATION.exec(text) : null;
  if (!m || text === 'P' || text.endsWith('T')) {
    throw new ResearchError(
      'INVALID_WALK_FORWARD',
      `"${String(text)}" is not an ISO-8601 duration such as P2Y, P6M or P30D`,
      path,
    );
  }
  const [years, months, weeks, days, hours, minutes, seconds] = m
    .slice(1)
    .map((v) => (v === undefined ? 0 : Number(v)));
  const d = { years, months, weeks, days, hours, minutes, seconds };
  if (Object.values(d).every((v) => v === 0))
    throw new ResearchError('INVALID_WALK_FORWARD', 'must be longer than zero', path);
  return d;
}

function combine(a: IsoDuration, b: IsoDuration, times = 1): IsoDuration {
  return {
    years: a.years + b.years * times,
    months: a.months + b.months * times,
    weeks: a.weeks + b.weeks * times,
    days: a.days + b.days * times,
    hours: a.hours + b.hours * times,
    minutes: a.minutes + b.minutes * times,
    seconds: a.seconds + b.seconds * times,
  };
}

const ZERO: IsoDuration = { years: 0, months: 0, weeks: 0, days: 0, hours: 0, minutes: 0, seconds: 0 };

/**
 * Adds a duration on the UTC calendar: years and months move the month and keep the day,
 * clamped to the month's last day (31 Jan + P1M = 28 or 29 Feb); the rest is exact time.
 */
export function addDuration(timeMs: number, d: IsoDuration): number {
  const date = new Date(timeMs);
  const monthIndex = date.getUTCFullYear() * 12 + date.getUTCMonth() + d.years * 12 + d.months;
  const year = Math.floor(monthIndex / 12);
  const month = monthIndex - year * 12;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const timeOfDay = timeMs - Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
  const base = Date.UTC(year, month, Math.min(date.getUTCDate(), lastDay)) + timeOfDay;
  return base + (((d.weeks * 7 + d.days) * 24 + d.hours) * 60 + d.minutes) * 60_000 + d.seconds * 1000;
}

/** A half-open time range [from, to) in epoch ms. */
export interface TimeRange {
  from: number;
  to: number;
}

export interface WalkForwardSpec {
  mode: 'rolling' | 'anchored';
  inSample: string;
  outOfSample: string;
  /** How far each window moves; default the out-of-sample length (back-to-back test periods). */
  step?: string;
}

export interface WalkForwardWindow {
  index: number;
  inSample: TimeRange;
  outOfSample: TimeRange;
  /** The last window's out-of-sample range was cut short by the end of the whole range. */
  partial: boolean;
}

/**
 * Windows over [from, to). Rolling: the in-sample range moves by `step`; anchored: it always
 * starts at `from` and grows by `step`. Each out-of-sample range starts where its in-sample range
 * ends, and nothing reaches past `to`. Every boundary is computed from `from` with the
 * duration multiplied, so month clamping never accumulates.
 */
export function planWalkForward(
  spec: WalkForwardSpec,
  from: number,
  to: number,
  maxWindows = 500,
): WalkForwardWindow[] {
  if (spec.mode !== 'rolling' && spec.mode !== 'anchored') {
    throw new ResearchError('INVALID_WALK_FORWARD', 'must be rolling or anchored', 'walkForward.mode');
  }
  if (!(Number.isFinite(from) && Number.isFinite(to) && from < to)) {
    throw new ResearchError('INVALID_WALK_FORWARD', 'the range must have from < to', 'to');
  }
  const inSample = parseIsoDuration(spec.inSample, 'walkForward.inSample');
  const outOfSample = parseIsoDuration(spec.outOfSample, 'walkForward.outOfSample');
  const step = spec.step === undefined ? outOfSample : parseIsoDuration(spec.step, 'walkForward.step');
  const windows: WalkForwardWindow[] = [];
  for (let k = 0; ; k++) {
    const shift = combine(ZERO, step, k);
    const isFrom = spec.mode === 'rolling' ? addDuration(from, shift) : from;
    const isTo = addDuration(from, combine(inSample, step, k));
    const fullOosTo = addDuration(from, combine(combine(inSample, outOfSample), step, k));
    if (isTo >= to) break;
    if (windows.length >= maxWindows) {
      throw new ResearchError(
        'INVALID_WALK_FORWARD',
        `more than ${maxWindows} windows; use a longer step`,
        'walkForward.step',
        {
          maxWindows,
        },
      );
    }
    windows.push({
      index: k,
      inSample: { from: isFrom, to: isTo },
      outOfSample: { from: isTo, to: Math.min(fullOosTo, to) },
      partial: fullOosTo > to,
    });
  }
  if (windows.length === 0) {
    throw new ResearchError(
      'INVALID_WALK_FORWARD',
      'the range is shorter than one in-sample period',
      'walkForward.inSample',
      {
        from,
        to,
      },
    );
  }
  return windows;
}

/** Index range [start, end) of the sorted times inside [from, to), by binary search. */
export function indexRange(times: ArrayLike<number>, range: TimeRange): { start: number; end: number } {
  const lowerBound = (t: number) => {
    let lo = 0;
    let hi = times.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (times[mid] < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return { start: lowerBound(range.from), end: lowerBound(range.to) };
}

export interface WindowOutcome<R> {
  window: WalkForwardWindow;
  params: ParamValues;
  inSample: R;
  outOfSample: R;
}

/**
 * Runs a walk-forward over one sorted series: for each window, `select` sees the index range of
 * the in-sample bars only and picks params; `evaluate` runs them on a range. This is the only way
 * the research core hands data ranges out, so a window's choice cannot depend on later bars.
 */
export function runWalkForward<R>(
  times: ArrayLike<number>,
  windows: readonly WalkForwardWindow[],
  select: (range: { start: number; end: number }, window: WalkForwardWindow) => ParamValues,
  evaluate: (params: ParamValues, range: { start: number; end: number }, window: WalkForwardWindow) => R,
): WindowOutcome<R>[] {
  return windows.map((window) => {
    const isRange = indexRange(times, window.inSample);
    const params = select(isRange, window);
    return {
      window,
      params,
      inSample: evaluate(params, isRange, window),
      outOfSample: evaluate(params, indexRange(times, window.outOfSample), window),
    };
  });
}

export interface EquitySegment {
  time: ArrayLike<number>;
  equity: ArrayLike<number>;
}

export interface StitchedEquity {
  time: Float64Array;
  equity: Float64Array;
  totalReturnPct: number;
  /** Compound annual growth over the curve's time span, null when shorter than a day. */
  cagrPct: number | null;
  /** ≤ 0, like the engine's metric. */
  maxDrawdownPct: number;
}

const YEAR_MS = 365.25 * 24 * 3_600_000;

/**
 * Chains out-of-sample equity segments into one curve: each segment's returns are applied to the
 * equity the previous one ended with, as if the capital had been carried over. Segments must
 * follow each other in time; an overlap would mean a bar counted twice.
 */
export function stitchEquity(segments: readonly EquitySegment[], initialEquity?: number): StitchedEquity {
  const times: number[] = [];
  const values: number[] = [];
  let level = initialEquity;
  segments.forEach((segment, s) => {
    if (segment.time.length !== segment.equity.length) {
      throw new ResearchError('INVALID_WALK_FORWARD', 'time and equity differ in length', `segments[${s}]`);
    }
    if (segment.time.length === 0) return;
    if (times.length > 0 && segment.time[0] <= times[times.length - 1]) {
      throw new ResearchError('INVALID_WALK_FORWARD', 'overlaps the previous segment', `segments[${s}]`);
    }
    const start = segment.equity[0];
    if (!(start > 0))
      throw new ResearchError('INVALID_WALK_FORWARD', 'must start with positive equity', `segments[${s}]`);
    const factor = (level ?? start) / start;
    for (let i = 0; i < segment.time.length; i++) {
      times.push(segment.time[i]);
      values.push(segment.equity[i] * factor);
    }
    level = values[values.length - 1];
  });
  let peak = -Infinity;
  let maxDrawdown = 0;
  for (const v of values) {
    peak = Math.max(peak, v);
    maxDrawdown = Math.min(maxDrawdown, v / peak - 1);
  }
  const first = initialEquity ?? values[0];
  const last = values[values.length - 1];
  const span = times.length > 1 ? times[times.length - 1] - times[0] : 0;
  return {
    time: Float64Array.from(times),
    equity: Float64Array.from(values),
    totalReturnPct: values.length ? (last / first - 1) * 100 : 0,
    cagrPct: span >= 86_400_000 ? (Math.pow(last / first, YEAR_MS / span) - 1) * 100 : null,
    maxDrawdownPct: maxDrawdown * 100,
  };
}

/**
 * Walk-forward efficiency (Pardo): annualised out-of-sample return over annualised in-sample
 * return. Null when the in-sample return is not positive: the ratio then has no meaning.
 */
export function walkForwardEfficiency(
  inSampleAnnualPct: number | null,
  outOfSampleAnnualPct: number | null,
): number | null {
  if (inSampleAnnualPct === null || outOfSampleAnnualPct === null || !(inSampleAnnualPct > 0)) return null;
  return outOfSampleAnnualPct / inSampleAnnualPct;
}

export type ParamStability =
  | {
      param: string;
      kind: 'number';
      min: number;
      max: number;
      mean: number;
      std: number;
      /** std over the searched range's width: 0 = always the same, ~0.29 = uniform noise. */
      stdOfRange: number | null;
      changes: number;
      distinct: number;
    }
  | { param: string; kind: 'choice'; mode: ParamValue; modeShare: number; changes: number; distinct: number };

/** How much each param's chosen value moves from window to window. */
export function parameterStability(chosen: readonly ParamValues[], space?: ParamSpace): ParamStability[] {
  if (chosen.length === 0) return [];
  return Object.keys(chosen[0]).map((param) => {
    const values = chosen.map((c) => c[param]);
    let changes = 0;
    for (let i = 1; i < values.length; i++) if (values[i] !== values[i - 1]) changes++;
    const distinct = new Set(values).size;
    const range: ParamRange | undefined = space?.[param];
    if (values.every((v): v is number => typeof v === 'number') && range?.type !== 'choice') {
      const xs = values;
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
      const width = range ? range.max - range.min : 0;
      return {
        param,
        kind: 'number' as const,
        min: Math.min(...xs),
        max: Math.max(...xs),
        mean,
        std,
        stdOfRange: width > 0 ? std / width : null,
        changes,
        distinct,
      };
    }
    const counts = new Map<ParamValue, number>();
    for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
    let mode = values[0];
    for (const [v, c] of counts) if (c > (counts.get(mode) ?? 0)) mode = v;
    return {
      param,
      kind: 'choice' as const,
      mode,
      modeShare: (counts.get(mode) ?? 0) / values.length,
      changes,
      distinct,
    };
  });
}
