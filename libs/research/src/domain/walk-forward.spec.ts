import { ResearchError } from './errors';
import { SeededRandom } from './random';
import {
  addDuration,
  indexRange,
  parameterStability,
  parseIsoDuration,
  planWalkForward,
  runWalkForward,
  stitchEquity,
  walkForwardEfficiency,
  type WalkForwardSpec,
} from './walk-forward';

const t = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);

describe('walk-forward planning', () => {
  it('parses ISO-8601 durations and refuses others with the path', () => {
    expect(parseIsoDuration('P2Y')).toMatchObject({ years: 2, months: 0 });
    expect(parseIsoDuration('P1Y6M2W3DT4H5M6S')).toEqual({
      years: 1,
      months: 6,
      weeks: 2,
      days: 3,
      hours: 4,
      minutes: 5,
      seconds: 6,
    });
    for (const bad of ['', 'P', 'PT', '2Y', 'P1.5Y', 'P0D', 'P1H', 'p1y']) {
      expect(() => parseIsoDuration(bad, 'walkForward.step')).toThrow(ResearchError);
    }
    try {
      parseIsoDuration('P1H', 'walkForward.inSample');
    } catch (error) {
      expect((error as ResearchError).path).toBe('walkForward.inSample');
    }
  });

  it('adds months on the calendar, clamping to the last day', () => {
    expect(iso(addDuration(t('2024-01-31T00:00:00Z'), parseIsoDuration('P1M')))).toBe('2024-02-29');
    expect(iso(addDuration(t('2023-01-31T00:00:00Z'), parseIsoDuration('P1M')))).toBe('2023-02-28');
    expect(iso(addDuration(t('2024-02-29T00:00:00Z'), parseIsoDuration('P1Y')))).toBe('2025-02-28');
    expect(iso(addDuration(t('2024-11-15T00:00:00Z'), parseIsoDuration('P3M')))).toBe('2025-02-15');
    expect(addDuration(t('2024-01-01T10:30:00Z'), parseIsoDuration('P1DT2H'))).toBe(t('2024-01-02T12:30:00Z'));
  });

  it('plans rolling windows: in-sample moves, out-of-sample follows it back to back', () => {
    const windows = planWalkForward(
      { mode: 'rolling', inSample: 'P1Y', outOfSample: 'P6M', step: 'P6M' },
      t('2020-01-01T00:00:00Z'),
      t('2023-01-01T00:00:00Z'),
    );
    expect(
      windows.map((w) => [
        iso(w.inSample.from),
        iso(w.inSample.to),
        iso(w.outOfSample.from),
        iso(w.outOfSample.to),
        w.partial,
      ]),
    ).toEqual([
      ['2020-01-01', '2021-01-01', '2021-01-01', '2021-07-01', false],
      ['2020-07-01', '2021-07-01', '2021-07-01', '2022-01-01', false],
      ['2021-01-01', '2022-01-01', '2022-01-01', '2022-07-01', false],
      ['2021-07-01', '2022-07-01', '2022-07-01', '2023-01-01', false],
    ]);
  });

  it('plans anchored windows: in-sample always starts at the beginning; the last one may be partial', () => {
    const windows = planWalkForward(
      { mode: 'anchored', inSample: 'P1Y', outOfSample: 'P6M' },
      t('2020-01-01T00:00:00Z'),
      t('2022-03-01T00:00:00Z'),
    );
    expect(windows.map((w) => [iso(w.inSample.from), iso(w.inSample.to), iso(w.outOfSample.to), w.partial])).toEqual([
      ['2020-01-01', '2021-01-01', '2021-07-01', false],
      ['2020-01-01', '2021-07-01', '2022-01-01', false],
      ['2020-01-01', '2022-01-01', '2022-03-01', true],
    ]);
  });

  it('never looks ahead, for random seeded plans: in-sample ends where out-of-sample starts, nothing passes the end', () => {
    const rng = new SeededRandom(99);
    const units = ['Y', 'M', 'W', 'D'];
    const duration = () => `P${1 + rng.int(3)}${units[rng.int(units.length)]}`;
    const violations: string[] = [];
    let planned = 0;
    for (let round = 0; round < 300; round++) {
      const from = t('2015-01-01T00:00:00Z') + rng.int(1000) * 86_400_000;
      const to = from + (30 + rng.int(3000)) * 86_400_000;
      const spec: WalkForwardSpec = {
        mode: rng.next() < 0.5 ? 'rolling' : 'anchored',
        inSample: duration(),
        outOfSample: duration(),
        step: duration(),
      };
      let windows;
      try {
        windows = planWalkForward(spec, from, to, 5000);
      } catch (error) {
        expect((error as ResearchError).code).toBe('INVALID_WALK_FORWARD');
        continue;
      }
      planned += windows.length;
      // Checked by hand and collected: an expect() per window would dominate the run time.
      windows.forEach((w, i) => {
        const ok =
          w.inSample.from >= from &&
          w.inSample.from < w.inSample.to &&
          w.inSample.to === w.outOfSample.from &&
          w.outOfSample.from < w.outOfSample.to &&
          w.outOfSample.to <= to &&
          (spec.mode === 'rolling' || w.inSample.from === from) &&
          (i === 0 || w.outOfSample.from > windows[i - 1].outOfSample.from);
        if (!ok) violations.push(JSON.stringify({ spec, from, to, w }));
      });
    }
    expect(violations).toEqual([]);
    expect(planned).toBeGreaterThan(1000);
  });

  it('refuses a range shorter than one in-sample period, too many windows, and a bad mode', () => {
    const from = t('2024-01-01T00:00:00Z');
    expect(() =>
      planWalkForward({ mode: 'rolling', inSample: 'P2Y', outOfSample: 'P6M' }, from, t('2025-01-01T00:00:00Z')),
    ).toThrow('walkForward.inSample');
    expect(() =>
      planWalkForward({ mode: 'rolling', inSample: 'P1D', outOfSample: 'PT1H' }, from, t('2025-01-01T00:00:00Z')),
    ).toThrow('walkForward.step');
    expect(() =>
      planWalkForward({ mode: 'sliding' as 'rolling', inSample: 'P1D', outOfSample: 'P1D' }, from, from + 1e10),
    ).toThrow('walkForward.mode');
  });
});

describe('walk-forward runs', () => {
  /** A seeded random walk of daily closes. */
  function series(seed: number, days: number) {
    const rng = new SeededRandom(seed);
    const times = Array.from({ length: days }, (_, i) => t('2020-01-01T00:00:00Z') + i * 86_400_000);
    let price = 100;
    const closes = times.map(() => (price *= Math.exp(0.0003 + 0.02 * rng.normal())));
    return { times, closes };
  }

  /** Picks the SMA length whose price-above-SMA rule earned most on the bars it is given. */
  function chooser(closes: number[]) {
    const earn = (n: number, start: number, end: number) => {
      let total = 0;
      for (let i = Math.max(start + n, start + 1); i < end; i++) {
        let sma = 0;
        for (let k = i - n; k < i; k++) sma += closes[k];
        if (closes[i - 1] > sma / n) total += Math.log(closes[i] / closes[i - 1]);
      }
      return total;
    };
    return {
      select: ({ start, end }: { start: number; end: number }) => {
        let best = 5;
        for (let n = 5; n <= 60; n += 5) if (earn(n, start, end) > earn(best, start, end)) best = n;
        return { sma: best };
      },
      evaluate: (p: Record<string, unknown>, { start, end }: { start: number; end: number }) =>
        earn(p.sma as number, start, end),
    };
  }

  it("changing the data after a window's in-sample end never changes that window's choice", () => {
    const { times, closes } = series(3, 4 * 365);
    const windows = planWalkForward(
      { mode: 'rolling', inSample: 'P1Y', outOfSample: 'P3M' },
      times[0],
      times[times.length - 1] + 86_400_000,
    );
    const base = chooser(closes);
    const original = runWalkForward(times, windows, base.select, base.evaluate);
    expect(new Set(original.map((o) => o.params.sma)).size).toBeGreaterThan(1);
    const rng = new SeededRandom(17);
    for (const w of windows) {
      // Rewrite history from the first bar at or after the in-sample end.
      const cut = indexRange(times, { from: w.inSample.to, to: Infinity }).start;
      const changed = closes.map((c, i) => (i >= cut ? c * Math.exp(0.1 * rng.normal()) : c));
      const altered = chooser(changed);
      const rerun = runWalkForward(times, windows, altered.select, altered.evaluate);
      for (const o of rerun) {
        if (o.window.inSample.to <= w.inSample.to) {
          expect(o.params).toEqual(original[o.window.index].params);
          expect(o.inSample).toBe(original[o.window.index].inSample);
        }
      }
    }
  });

  it('finds index ranges half-open', () => {
    const times = [10, 20, 30, 40];
    expect(indexRange(times, { from: 20, to: 40 })).toEqual({ start: 1, end: 3 });
    expect(indexRange(times, { from: 15, to: 41 })).toEqual({ start: 1, end: 4 });
    expect(indexRange(times, { from: 50, to: 60 })).toEqual({ start: 4, end: 4 });
  });

  it('stitches out-of-sample segments carrying the equity over', () => {
    const day = 86_400_000;
    const stitched = stitchEquity(
      [
        { time: [0, day], equity: [100, 110] },
        { time: [2 * day, 3 * day], equity: [1000, 900] },
        { time: [], equity: [] },
        { time: [4 * day], equity: [50] },
      ],
      100,
    );
    expect(Array.from(stitched.equity)).toEqual([100, 110, 110, 99, 99]);
    expect(stitched.totalReturnPct).toBeCloseTo(-1, 12);
    expect(stitched.maxDrawdownPct).toBeCloseTo(-10, 12);
    expect(stitched.cagrPct).toBeCloseTo((Math.pow(0.99, 365.25 / 4) - 1) * 100, 9);
    expect(() =>
      stitchEquity([
        { time: [0, 5], equity: [1, 1] },
        { time: [5], equity: [1] },
      ]),
    ).toThrow('segments[1]');
  });

  it('computes walk-forward efficiency and parameter stability', () => {
    expect(walkForwardEfficiency(20, 10)).toBe(0.5);
    expect(walkForwardEfficiency(0, 10)).toBeNull();
    expect(walkForwardEfficiency(-5, 10)).toBeNull();
    const stability = parameterStability(
      [
        { fast: 10, source: 'close' },
        { fast: 10, source: 'hl2' },
        { fast: 20, source: 'close' },
        { fast: 20, source: 'close' },
      ],
      { fast: { type: 'int', min: 0, max: 100 }, source: { type: 'choice', values: ['close', 'hl2'] } },
    );
    expect(stability[0]).toEqual({
      param: 'fast',
      kind: 'number',
      min: 10,
      max: 20,
      mean: 15,
      std: 5,
      stdOfRange: 0.05,
      changes: 1,
      distinct: 2,
    });
    expect(stability[1]).toEqual({
      param: 'source',
      kind: 'choice',
      mode: 'close',
      modeShare: 0.75,
      changes: 2,
      distinct: 2,
    });
  });
});
