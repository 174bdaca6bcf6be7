/**
 * Standard normal distribution. Accurate to ~1e-15 absolute in the centre and to full relative
 * precision in the tails, because the deflated Sharpe ratio evaluates Φ⁻¹ at 1 − 1/N for N up
 * to millions and Φ at z-scores far from zero.
 */

const LN_SQRT_2PI = 0.91893853320467274178;

export function normalPdf(x: number): number {
  return Math.exp(-0.5 * x * x - LN_SQRT_2PI);
}

/** Upper tail Q(x) = 1 − Φ(x) for x ≥ 5 by Lentz's continued fraction: no cancellation. */
function upperTail(x: number): number {
  // Q(x) = φ(x) / (x + 1/(x + 2/(x + 3/(x + …))))
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let k = 1; k < 500; k++) {
    d = x + k * d;
    d = d === 0 ? tiny : d;
    c = x + k / c;
    c = c === 0 ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return normalPdf(x) / f;
}

export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x <= -5) return x < -38.5 ? 0 : upperTail(-x);
  if (x >= 5) return x > 38.5 ? 1 : 1 - upperTail(x);
  // Marsaglia (2004): Φ(x) = ½ + φ(x)·(x + x³/3 + x⁵/(3·5) + …); every term has the sign of x.
  let sum = x;
  let term = x;
  const q = x * x;
  let previous = 0;
  for (let i = 1; sum !== previous;) {
    previous = sum;
    i += 2;
    term *= q / i;
    sum += term;
  }
  return 0.5 + sum * normalPdf(x);
}

// Acklam's rational approximation (relative error 1.15e-9), then one Halley step on Φ, which
// brings it to machine precision.
const A = [
  -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239,
];
const B = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
const C = [
  -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
  2.938163982698783,
];
const D = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
const P_LOW = 0.02425;

export function normalInv(p: number): number {
  if (!(p >= 0 && p <= 1)) return NaN;
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  let x: number;
  if (p < P_LOW) {
    const q = Math.sqrt(-2 * Math.log(p));
    x =
      (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5]) /
      ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1);
  } else if (p <= 1 - P_LOW) {
    const q = p - 0.5;
    const r = q * q;
    x =
      ((((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q) /
      (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x =
      -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5]) /
      ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1);
  }
  // Halley refinement. In the upper tail the error is taken on the upper tail Q = 1 − p so that
  // 1 − Φ(x) does not cancel; p itself carries only the precision 1 − p has.
  const e = x > 0 ? 1 - p - upperTailOf(x) : normalCdf(x) - p;
  const u = e / normalPdf(x);
  return x - u / (1 + (x * u) / 2);
}

function upperTailOf(x: number): number {
  return x >= 5 ? upperTail(x) : 1 - normalCdf(x);
}
