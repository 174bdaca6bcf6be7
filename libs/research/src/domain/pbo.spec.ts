import { ResearchError } from './errors';
import { binomial, probabilityOfBacktestOverfitting } from './pbo';
import { SeededRandom } from './random';

/** The CSCV procedure as the paper states it, with nothing precomputed: a reference. */
function naivePbo(returns: number[][], S: number, metric: 'sharpe' | 'mean') {
  const T = returns.length;
  const N = returns[0].length;
  const len = Math.floor(T / S);
  const offset = T - len * S;
  const blocks = Array.from({ length: S }, (_, b) => returns.slice(offset + b * len, offset + (b + 1) * len));
  const perf = (rows: number[][], n: number) => {
    const xs = rows.map((r) => r[n]);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    if (metric === 'mean') return mean;
    const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1));
    return mean / sd;
  };
  const logits: number[] = [];
  const subsets: number[][] = [];
  const build = (start: number, acc: number[]) => {
    if (acc.length === S / 2) return void subsets.push([...acc]);
    for (let b = start; b < S; b++) build(b + 1, [...acc, b]);
  };
  build(0, []);
  for (const subset of subsets) {
    const train = subset.flatMap((b) => blocks[b]);
    const test = blocks.filter((_, b) => !subset.includes(b)).flat();
    const r = Array.from({ length: N }, (_, n) => perf(train, n));
    const rBar = Array.from({ length: N }, (_, n) => perf(test, n));
    const best = r.indexOf(Math.max(...r));
    const sorted = [...rBar].sort((a, b) => a - b);
    const first = sorted.indexOf(rBar[best]) + 1;
    const last = sorted.lastIndexOf(rBar[best]) + 1;
    const omega = (first + last) / 2 / (N + 1);
    logits.push(Math.log(omega / (1 - omega)));
  }
  return { logits, pbo: logits.filter((l) => l <= 0).length / logits.length };
}

function randomMatrix(rng: SeededRandom, T: number, N: number, skill: (n: number) => number): number[][] {
  return Array.from({ length: T }, () => Array.from({ length: N }, (_, n) => skill(n) + 0.01 * rng.normal()));
}

describe('probability of backtest overfitting (CSCV)', () => {
  it('counts C(S, S/2) combinations', () => {
    expect(binomial(16, 8)).toBe(12870);
    expect(binomial(10, 5)).toBe(252);
    const rng = new SeededRandom(1);
    const result = probabilityOfBacktestOverfitting({ returns: randomMatrix(rng, 64, 5, () => 0) });
    expect(result.combinations).toBe(12870);
    expect(result.logits).toHaveLength(12870);
    expect(result.histogram.reduce((a, b) => a + b.count, 0)).toBe(12870);
  });

  it.each([
    ['sharpe', 8, 3],
    ['sharpe', 10, 4],
    ['mean', 6, 5],
    ['sharpe', 16, 6],
  ] as const)('matches the naive procedure (%s, S = %i) on random seeded matrices', (metric, S, seed) => {
    const rng = new SeededRandom(seed);
    const T = S * 7 + 3; // not a multiple of S: the oldest periods are dropped alike
    const N = 12;
    const returns = randomMatrix(rng, T, N, (n) => 0.0005 * (n % 3));
    const fast = probabilityOfBacktestOverfitting({ returns, partitions: S, metric });
    const naive = naivePbo(returns, S, metric);
    expect(fast.periodsUsed).toBe(S * 7);
    expect(fast.pbo).toBe(naive.pbo);
    expect(fast.logits).toHaveLength(naive.logits.length);
    naive.logits.forEach((l, i) => expect(Math.abs(fast.logits[i] - l)).toBeLessThan(1e-9));
  });

  it('is near 0 when one trial truly dominates and near ½ on average when none has skill', () => {
    const rng = new SeededRandom(11);
    const skilled = probabilityOfBacktestOverfitting({
      returns: randomMatrix(rng, 800, 20, (n) => (n === 7 ? 0.004 : 0)),
    });
    expect(skilled.pbo).toBeLessThan(0.05);
    expect(skilled.probabilityOfLoss).toBeLessThan(0.05);
    // One noise matrix can land far from ½ (its combinations share data); the mean over many cannot.
    let sum = 0;
    for (let i = 0; i < 40; i++) {
      sum += probabilityOfBacktestOverfitting({ returns: randomMatrix(rng, 160, 20, () => 0), partitions: 8 }).pbo;
    }
    expect(sum / 40).toBeGreaterThan(0.35);
    expect(sum / 40).toBeLessThan(0.65);
  });

  it('accepts a flat row-major matrix with the same result', () => {
    const rng = new SeededRandom(5);
    const rows = randomMatrix(rng, 96, 8, (n) => 0.0002 * n);
    const flat = Float64Array.from(rows.flat());
    const a = probabilityOfBacktestOverfitting({ returns: rows, partitions: 12 });
    const b = probabilityOfBacktestOverfitting({ returns: flat, trials: 8, partitions: 12 });
    expect(b.pbo).toBe(a.pbo);
    expect(Array.from(b.logits)).toEqual(Array.from(a.logits));
  });

  it('refuses bad input with the field named', () => {
    const path = (f: () => unknown) => {
      try {
        f();
      } catch (error) {
        expect(error).toBeInstanceOf(ResearchError);
        return (error as ResearchError).path;
      }
      return 'no error';
    };
    const ok = [
      [0.1, 0.2],
      [0.3, 0.1],
    ];
    expect(path(() => probabilityOfBacktestOverfitting({ returns: ok, partitions: 3 }))).toBe('partitions');
    expect(path(() => probabilityOfBacktestOverfitting({ returns: ok, partitions: 16 }))).toBe('returns');
    expect(path(() => probabilityOfBacktestOverfitting({ returns: [[1], [2]], partitions: 2 }))).toBe('returns');
    expect(path(() => probabilityOfBacktestOverfitting({ returns: [[1, 2], [3]], partitions: 2 }))).toBe('returns[1]');
    expect(path(() => probabilityOfBacktestOverfitting({ returns: [[1, NaN], ...ok], partitions: 2 }))).toBe('returns');
  });
});
