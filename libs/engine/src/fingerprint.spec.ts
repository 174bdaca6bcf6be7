import fc from 'fast-check';
import { isRegularTime, validateCandles } from './data/validate';
import { fingerprint } from './fingerprint';
import { bars, MINUTE } from './simulate/fixtures';
import type { CandleSeries } from './types';

const START = Date.UTC(2024, 0, 1);

/** A gap-free series of `n` bars from `start`. */
function series(n: number, start = START): CandleSeries {
  return bars(
    Array.from({ length: n }, (_, i) => [100 + i, 102 + i, 99 + i, 101 + i]),
    MINUTE,
    start,
  );
}

function fp(candles: CandleSeries): string {
  return fingerprint({ precision: 'kline', candles, definition: { d: 1 }, settings: { s: 1 } });
}

describe(fingerprint.name, () => {
  it('gives equal series equal fingerprints, with or without gaps', () => {
    expect(fp(series(50))).toBe(fp(series(50)));
    const gapped = () => {
      const s = series(50);
      s.time[30] += MINUTE;
      return s;
    };
    expect(fp(gapped())).toBe(fp(gapped()));
  });

  it('changes with the first time, the length and the timeframe of a regular series', () => {
    const base = fp(series(50));
    expect(fp(series(50, START + MINUTE))).not.toBe(base);
    expect(fp(series(51))).not.toBe(base);
    expect(fp({ ...series(50), timeframeMs: 2 * MINUTE })).not.toBe(base);
  });

  it('changes when any one time of a regular series moves, by a gap or by a millisecond', () => {
    const base = fp(series(50));
    for (const k of [1, 25, 49]) {
      for (const delta of [MINUTE, 1, -1]) {
        const moved = series(50);
        moved.time[k] += delta;
        expect(fp(moved)).not.toBe(base);
      }
    }
  });

  it('hashes every time of an irregular series', () => {
    const a = series(50);
    a.time[10] += MINUTE / 2;
    const b = series(50);
    b.time[10] += MINUTE / 2;
    b.time[40] += 1;
    expect(fp(a)).not.toBe(fp(b));
  });

  it('tells a time of -0 from one of +0 (equal under ===, not in bytes)', () => {
    const positive = series(3, -MINUTE);
    const negative = series(3, -MINUTE);
    negative.time[1] = -0;
    expect(Object.is(positive.time[1], 0)).toBe(true);
    expect(fp(negative)).not.toBe(fp(positive));
  });

  it('covers the other columns, the definition and the settings', () => {
    const base = fp(series(50));
    const moved = series(50);
    moved.close[20] += 1e-9;
    expect(fp(moved)).not.toBe(base);
    const parts = { precision: 'kline', candles: series(50), definition: { d: 1 }, settings: { s: 1 } };
    expect(fingerprint(parts)).toBe(base);
    expect(fingerprint({ ...parts, definition: { d: 2 } })).not.toBe(base);
    expect(fingerprint({ ...parts, settings: { s: 2 } })).not.toBe(base);
    expect(fingerprint({ ...parts, precision: 'hybrid' })).not.toBe(base);
  });

  it('agrees with validation on which time columns are regular, so runBacktest may pass that on', () => {
    const arbitrarySeries = fc
      .record({
        n: fc.integer({ min: 1, max: 40 }),
        start: fc.constantFrom(START, 0, -MINUTE, 1, 0.1, 2 ** 52),
        timeframeMs: fc.constantFrom(MINUTE, 0.1, 1e-7, 3),
        moved: fc.option(fc.record({ at: fc.nat(), by: fc.constantFrom(1, -1e-9, 1e-3, 0.5) })),
      })
      .map(({ n, start, timeframeMs, moved }) => {
        const s = bars(
          Array.from({ length: n }, () => [1, 1, 1, 1]),
          timeframeMs,
          start,
        );
        if (moved) s.time[moved.at % n] += moved.by * timeframeMs;
        return s;
      });
    const seen = { regular: 0, irregular: 0 };
    fc.assert(
      fc.property(arbitrarySeries, (s) => {
        let facts;
        try {
          facts = validateCandles(s);
        } catch {
          return; // not valid data: runBacktest stops before the fingerprint
        }
        expect(facts.regularTime).toBe(isRegularTime(s.time, s.timeframeMs));
        seen[facts.regularTime ? 'regular' : 'irregular']++;
        const parts = { precision: 'kline', candles: s, definition: {}, settings: {} };
        expect(fingerprint({ ...parts, regularTime: facts.regularTime })).toBe(fingerprint(parts));
      }),
      { numRuns: 500 },
    );
    expect(seen.regular).toBeGreaterThan(50);
    expect(seen.irregular).toBeGreaterThan(50);
    expect(isRegularTime(series(50).time, MINUTE)).toBe(true);
    expect(isRegularTime(series(50, 0).time, MINUTE)).toBe(false);
  });
});
