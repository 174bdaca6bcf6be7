import {
  deflatedSharpe,
  deflatedSharpeOfBest,
  EULER_MASCHERONI,
  expectedMaxSharpe,
  probabilisticSharpe,
  returnMoments,
} from './deflated-sharpe';
import { ResearchError } from './errors';
import { normalCdf, normalInv } from './normal';
import { SeededRandom } from './random';

describe('deflated Sharpe ratio', () => {
  // Bailey & López de Prado (2014), numerical example: 100 trials whose annualised Sharpe ratios
  // have variance 0.5, best annualised SR 2.5 over 5 years of daily returns (T = 1250, 250 a
  // year), skewness −3, kurtosis 10. The paper reports SR0 ≈ 0.1132 per day and DSR ≈ 0.9004.
  // The 1e-9 figures were computed with SciPy's norm.ppf / norm.cdf on the same formula.
  const example = {
    trials: 100,
    sharpeVariance: 0.5 / 250,
    sharpe: 2.5 / Math.sqrt(250),
    observations: 1250,
    skewness: -3,
    kurtosis: 10,
  };

  it("reproduces the paper's worked example", () => {
    const result = deflatedSharpe(example);
    expect(result.expectedMaxSharpe).toBeCloseTo(0.1132, 4);
    expect(result.deflatedSharpe).toBeCloseTo(0.9004, 4);
    expect(Math.abs(result.expectedMaxSharpe - 0.11317200186513214)).toBeLessThan(1e-12);
    expect(Math.abs(result.zScore - 1.2838160365336546)).toBeLessThan(1e-9);
    expect(Math.abs(result.deflatedSharpe - 0.9003968344493903)).toBeLessThan(1e-9);
    expect(result.inputs).toEqual(example);
  });

  it('E[max] follows the false strategy theorem: close to the simulated maximum of N normals', () => {
    const rng = new SeededRandom(7);
    for (const n of [10, 100, 1000]) {
      const runs = 2000;
      let sum = 0;
      for (let r = 0; r < runs; r++) {
        let max = -Infinity;
        for (let i = 0; i < n; i++) max = Math.max(max, rng.normal());
        sum += max;
      }
      const simulated = sum / runs;
      // The closed form is an approximation; it is within a few percent of the simulation.
      expect(Math.abs(expectedMaxSharpe(n, 1) / simulated - 1)).toBeLessThan(0.04);
      expect(expectedMaxSharpe(n, 4)).toBeCloseTo(2 * expectedMaxSharpe(n, 1), 12);
    }
  });

  it('is PSR against zero for a single trial and grows stricter with more trials', () => {
    expect(expectedMaxSharpe(1, 0.3)).toBe(0);
    const one = deflatedSharpe({ ...example, trials: 1 });
    expect(one.deflatedSharpe).toBeCloseTo(probabilisticSharpe({ ...example, benchmark: 0 }), 15);
    const dsr = [2, 10, 100, 10_000].map((trials) => deflatedSharpe({ ...example, trials }).deflatedSharpe);
    for (let i = 1; i < dsr.length; i++) expect(dsr[i]).toBeLessThan(dsr[i - 1]);
  });

  it('matches a direct re-implementation for random seeded trial sets', () => {
    const rng = new SeededRandom(42);
    for (let round = 0; round < 20; round++) {
      const trials = 2 + rng.int(500);
      const t = 50 + rng.int(2000);
      const best = Array.from({ length: t }, () => 0.001 + 0.01 * rng.normal() + 0.004 * rng.normal() ** 3);
      const sharpes = Array.from({ length: trials }, () => 0.03 * rng.normal());
      // Naive: two passes per moment, textbook formulas.
      const mean = best.reduce((a, b) => a + b, 0) / t;
      const sd = Math.sqrt(best.reduce((a, b) => a + (b - mean) ** 2, 0) / (t - 1));
      const pm = (k: number) => best.reduce((a, b) => a + (b - mean) ** k, 0) / t;
      const skew = pm(3) / pm(2) ** 1.5;
      const kurt = pm(4) / pm(2) ** 2;
      const sm = sharpes.reduce((a, b) => a + b, 0) / trials;
      const v = sharpes.reduce((a, b) => a + (b - sm) ** 2, 0) / (trials - 1);
      const g = EULER_MASCHERONI;
      const sr0 = Math.sqrt(v) * ((1 - g) * normalInv(1 - 1 / trials) + g * normalInv(1 - 1 / trials / Math.E));
      const sr = mean / sd;
      const z = ((sr - sr0) * Math.sqrt(t - 1)) / Math.sqrt(1 - skew * sr + ((kurt - 1) / 4) * sr ** 2);
      const result = deflatedSharpeOfBest(best, sharpes);
      expect(Math.abs(result.expectedMaxSharpe - sr0)).toBeLessThan(1e-12);
      expect(Math.abs(result.zScore - z)).toBeLessThan(1e-9);
      expect(Math.abs(result.deflatedSharpe - normalCdf(z))).toBeLessThan(1e-9);
      expect(result.inputs).toMatchObject({ trials, observations: t });
      expect(Math.abs(result.inputs.skewness - skew)).toBeLessThan(1e-9);
      expect(Math.abs(result.inputs.kurtosis - kurt)).toBeLessThan(1e-9);
    }
  });

  it('gives the moments of a known sample', () => {
    const m = returnMoments([1, 2, 3, 4, 10]);
    // mean 4, sample variance 12.5, population m2 10, m3 = 36, m4 = 278.8.
    expect(m.mean).toBe(4);
    expect(m.std).toBeCloseTo(Math.sqrt(12.5), 14);
    expect(m.skewness).toBeCloseTo(36 / 10 ** 1.5, 14);
    expect(m.kurtosis).toBeCloseTo(278.8 / 100, 14);
  });

  it('refuses inputs the formula has no meaning for, naming the field', () => {
    const bad = (f: () => unknown, path: string) => {
      try {
        f();
        throw new Error('no error');
      } catch (error) {
        expect(error).toBeInstanceOf(ResearchError);
        expect((error as ResearchError).code).toBe('INVALID_STATISTICS_INPUT');
        expect((error as ResearchError).path).toBe(path);
      }
    };
    bad(() => deflatedSharpe({ ...example, trials: 0 }), 'trials');
    bad(() => deflatedSharpe({ ...example, sharpeVariance: -1 }), 'sharpeVariance');
    bad(() => deflatedSharpe({ ...example, observations: 1 }), 'observations');
    bad(() => deflatedSharpe({ ...example, sharpe: NaN }), 'sharpe');
    bad(() => deflatedSharpe({ ...example, sharpe: 1, skewness: 5, kurtosis: 1 }), 'kurtosis');
    bad(() => returnMoments([1]), 'returns');
  });
});
