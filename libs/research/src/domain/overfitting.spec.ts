import { deflatedSharpeOfBest } from './deflated-sharpe';
import { overfittingReport, returnsFromEquity } from './overfitting';
import { probabilityOfBacktestOverfitting } from './pbo';
import { SeededRandom } from './random';

function curve(rng: SeededRandom, bars: number, drift: number): number[] {
  let equity = 10_000;
  return Array.from({ length: bars }, (_, i) => (i === 0 ? equity : (equity *= 1 + drift + 0.01 * rng.normal())));
}

describe('overfitting report', () => {
  it('turns equity into simple returns', () => {
    expect(Array.from(returnsFromEquity([100, 110, 99]))).toEqual([0.10000000000000009, -0.09999999999999998]);
  });

  it('combines the DSR of the best trial and the PBO of all, as computed separately', () => {
    const rng = new SeededRandom(21);
    const equities = Array.from({ length: 30 }, (_, n) => curve(rng, 401, n === 4 ? 0.002 : 0));
    const report = overfittingReport(equities, 4, 8);
    const returns = equities.map(returnsFromEquity);
    const sharpes = returns.map((r) => {
      const m = r.reduce((a, b) => a + b, 0) / r.length;
      return m / Math.sqrt(r.reduce((a, b) => a + (b - m) ** 2, 0) / (r.length - 1));
    });
    const dsr = deflatedSharpeOfBest(returns[4], sharpes);
    expect(report.deflatedSharpe.deflatedSharpe).toBeCloseTo(dsr.deflatedSharpe, 12);
    expect(report.deflatedSharpe.inputs.trials).toBe(30);
    const rows = Array.from({ length: 400 }, (_, t) => returns.map((r) => r[t]));
    const pbo = probabilityOfBacktestOverfitting({ returns: rows, partitions: 8 });
    expect(report.pbo?.pbo).toBe(pbo.pbo);
    expect(report.pbo?.combinations).toBe(70);
    expect(report.pbo).not.toHaveProperty('logits');
  });

  it('skips PBO when the curves are too short or there is one trial, and refuses unequal curves', () => {
    const rng = new SeededRandom(2);
    expect(overfittingReport([curve(rng, 20, 0), curve(rng, 20, 0)], 0).pboSkipped).toBe('needs at least 32 periods');
    expect(overfittingReport([curve(rng, 100, 0)], 0).pboSkipped).toBe('needs at least 2 trials');
    expect(() => overfittingReport([curve(rng, 100, 0), curve(rng, 99, 0)], 0)).toThrow('equities[1]');
    expect(() => overfittingReport([curve(rng, 100, 0)], 3)).toThrow('bestIndex');
  });
});
