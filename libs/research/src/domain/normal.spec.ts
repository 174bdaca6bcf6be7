import { normalCdf, normalInv, normalPdf } from './normal';

// Reference values from SciPy 1.x (scipy.stats.norm.cdf / norm.ppf), an independent implementation.
const CDF: Array<[number, number]> = [
  [0, 0.5],
  [0.5, 0.6914624612740131],
  [1, 0.8413447460685429],
  [1.96, 0.9750021048517795],
  [3.5, 0.9997673709209645],
  [-3, 0.0013498980316300933],
];
const TAIL: Array<[number, number]> = [
  [-6, 9.865876450376946e-10],
  [-10, 7.61985302416047e-24],
  [-20, 2.7536241186061556e-89],
];
const INV: Array<[number, number]> = [
  [0.5, 0],
  [0.3, -0.5244005127080409],
  [0.975, 1.959963984540054],
  [0.99, 2.3263478740408408],
  [0.999, 3.090232306167813],
  [0.02425, -1.972961051311885],
  [1e-10, -6.361340902404056],
];

describe('normal distribution', () => {
  it.each(CDF)('Φ(%p) matches the reference to 1e-12', (x, expected) => {
    expect(Math.abs(normalCdf(x) - expected)).toBeLessThan(1e-12);
  });

  it.each(TAIL)('Φ(%p) keeps relative precision in the far tail', (x, expected) => {
    expect(Math.abs(normalCdf(x) / expected - 1)).toBeLessThan(1e-9);
    expect(Math.abs(1 - normalCdf(-x) - expected)).toBeLessThan(1e-15);
  });

  it('is continuous where the series hands over to the continued fraction', () => {
    expect(Math.abs(normalCdf(-5 + 1e-12) - normalCdf(-5 - 1e-12))).toBeLessThan(1e-15);
    expect(normalCdf(-5)).toBeCloseTo(2.866515718791939e-7, 20);
  });

  it.each(INV)('Φ⁻¹(%p) matches the reference to 1e-9', (p, expected) => {
    expect(Math.abs(normalInv(p) - expected)).toBeLessThan(1e-9);
  });

  // Above x ≈ 3, p = Φ(x) itself is rounded to a double near 1, so only the lower tail and the
  // centre can be checked this tightly.
  it('inverts Φ over the lower tail and the centre', () => {
    for (let x = -8; x <= 3; x += 0.37) {
      expect(Math.abs(normalInv(normalCdf(x)) - x)).toBeLessThan(1e-9);
    }
  });

  it('has the limits and the density at zero', () => {
    expect(normalInv(0)).toBe(-Infinity);
    expect(normalInv(1)).toBe(Infinity);
    expect(normalInv(1.5)).toBeNaN();
    expect(normalCdf(-40)).toBe(0);
    expect(normalCdf(40)).toBe(1);
    expect(normalPdf(0)).toBeCloseTo(1 / Math.sqrt(2 * Math.PI), 15);
  });
});
