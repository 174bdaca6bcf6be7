import type { BacktestMetrics, Trade } from '../types';
import { YEAR_MS } from './calendar';

export interface MetricsInput {
  initialCapital: number;
  /** Equity at each bar's close (the last point after the end-of-data close). */
  equity: Float64Array;
  /** Bar open times. */
  time: Float64Array;
  timeframeMs: number;
  firstClose: number;
  lastClose: number;
  trades: readonly Trade[];
  /** Bars with a position open after the bar's opening fills. */
  barsInPosition: number;
  periodsPerYear: number;
}

/** A finite number, or null for NaN and ±Infinity (JSON has neither). */
function finite(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

/**
 * All metrics of a run. Definitions (percent units unless stated):
 * - returns: per-bar simple returns of the equity curve, the first against the initial capital;
 * - volatilityAnnPct = sample std of the returns × √periodsPerYear;
 * - sharpe = mean / sample std × √periodsPerYear (risk-free rate 0);
 * - sortino = mean / downside deviation × √periodsPerYear, downside deviation = √(Σ min(r, 0)² / N);
 * - cagrPct from the time span first bar open → last bar close, in years of 365.2425 days;
 * - calmar = cagrPct / |maxDrawdownPct|;
 * - drawdown at a bar = equity / running peak − 1, the peak starting at the initial capital;
 *   maxDrawdownDurationBars = most bars from a peak to the bar that regains it (or the end);
 *   avgDrawdownPct = mean depth of the separate drawdown episodes (0 when there is none);
 * - trade figures from each trade's pnlPct (pnl net of both fees over entry notional):
 *   winRatePct = share with pnl > 0; expectancyPct = arithmetic mean; avgTradePct = geometric
 *   mean (Π(1 + r))^(1/n) − 1; best / worst; profitFactor = Σ winning pnl / |Σ losing pnl|;
 *   sqn = √min(n, 100) × mean / sample std;
 * - durations in bars = exitBar − entryBar;
 * - exposurePct = share of bars with a position open; buyAndHoldReturnPct = last close / first close − 1.
 */
export function computeMetrics(input: MetricsInput): BacktestMetrics {
  const { initialCapital: capital, equity, time, trades, periodsPerYear } = input;
  const n = equity.length;
  const finalEquity = n > 0 ? equity[n - 1] : capital;

  const curve = curveStats(equity, capital);
  const { mean, std, downsideDeviation, maxDrawdown, maxDuration } = curve;
  const annualiser = Math.sqrt(periodsPerYear);

  const spanMs = n > 0 ? time[n - 1] + input.timeframeMs - time[0] : 0;
  const years = spanMs / YEAR_MS;
  const growth = finalEquity / capital;
  const cagrPct = years > 0 ? (growth > 0 ? (Math.pow(growth, 1 / years) - 1) * 100 : -100) : NaN;
  const maxDrawdownPct = maxDrawdown * 100;

  const t = trades.length;
  let wins = 0;
  let grossProfit = 0;
  let grossLoss = 0;
  let pctSum = 0;
  let logSum = 0;
  let best = -Infinity;
  let worst = Infinity;
  let durationSum = 0;
  let durationMax = 0;
  let fees = 0;
  let slippage = 0;
  let ambiguous = 0;
  for (let k = 0; k < t; k++) {
    const trade = trades[k];
    const r = trade.pnlPct;
    if (trade.pnl > 0) {
      wins++;
      grossProfit += trade.pnl;
    } else if (trade.pnl < 0) {
      grossLoss -= trade.pnl;
    }
    pctSum += r;
    logSum += Math.log1p(r / 100);
    if (r > best) best = r;
    if (r < worst) worst = r;
    const duration = trade.exitBar - trade.entryBar;
    durationSum += duration;
    if (duration > durationMax) durationMax = duration;
    fees += trade.fees;
    slippage += trade.slippage;
    if (trade.ambiguous) ambiguous++;
  }
  const tradeMean = t > 0 ? pctSum / t : NaN;
  let tradeSquares = 0;
  for (let k = 0; k < t; k++) {
    const d = trades[k].pnlPct - tradeMean;
    tradeSquares += d * d;
  }
  const tradeStd = t > 1 ? Math.sqrt(tradeSquares / (t - 1)) : NaN;

  return {
    finalEquity,
    totalReturnPct: (growth - 1) * 100,
    cagrPct: finite(cagrPct),
    volatilityAnnPct: finite(std * annualiser * 100),
    sharpe: std > 0 ? finite((mean / std) * annualiser) : null,
    sortino: downsideDeviation > 0 ? finite((mean / downsideDeviation) * annualiser) : null,
    calmar: maxDrawdown < 0 ? finite(cagrPct / -maxDrawdownPct) : null,
    maxDrawdownPct,
    maxDrawdownDurationBars: maxDuration,
    avgDrawdownPct: curve.avgDrawdown * 100,
    tradeCount: t,
    winRatePct: t > 0 ? (wins / t) * 100 : null,
    profitFactor: grossLoss > 0 ? finite(grossProfit / grossLoss) : null,
    expectancyPct: finite(tradeMean),
    avgTradePct: t > 0 ? finite((Math.exp(logSum / t) - 1) * 100) : null,
    bestTradePct: t > 0 ? best : null,
    worstTradePct: t > 0 ? worst : null,
    avgTradeDurationBars: t > 0 ? durationSum / t : null,
    maxTradeDurationBars: t > 0 ? durationMax : null,
    exposurePct: n > 0 ? (input.barsInPosition / n) * 100 : 0,
    buyAndHoldReturnPct: (input.lastClose / input.firstClose - 1) * 100,
    sqn: tradeStd > 0 ? finite(Math.sqrt(Math.min(t, 100)) * (tradeMean / tradeStd)) : null,
    feesPaid: fees,
    slippagePaid: slippage,
    ambiguousTrades: ambiguous,
  };
}

interface CurveStats {
  mean: number;
  std: number;
  downsideDeviation: number;
  maxDrawdown: number;
  maxDuration: number;
  avgDrawdown: number;
}

/** Return and drawdown statistics of the equity curve in one pass (a small function the JIT keeps hot). */
function curveStats(equity: Float64Array, capital: number): CurveStats {
  const n = equity.length;
  let sum = 0;
  let sumSquares = 0;
  let downside = 0;
  let peak = capital;
  let peakBar = -1;
  let maxDrawdown = 0;
  let maxDuration = 0;
  let episodeDepth = 0;
  let episodeSum = 0;
  let episodes = 0;
  let previous = capital;
  for (let i = 0; i < n; i++) {
    const e = equity[i];
    const r = e / previous - 1;
    previous = e;
    sum += r;
    sumSquares += r * r;
    // r − |r| is 2·min(r, 0), exactly and without a branch (a data-dependent branch here costs
    // more than the rest of the loop); the factor 4 is taken out after the loop.
    const twiceNegative = r - Math.abs(r);
    downside += twiceNegative * twiceNegative;
    if (e >= peak) {
      if (episodeDepth < 0) {
        episodeSum += episodeDepth;
        episodes++;
        episodeDepth = 0;
      }
      peak = e;
      peakBar = i;
    } else {
      const dd = e / peak - 1;
      if (dd < episodeDepth) {
        episodeDepth = dd;
        if (dd < maxDrawdown) maxDrawdown = dd;
      }
      if (i - peakBar > maxDuration) maxDuration = i - peakBar;
    }
  }
  if (episodeDepth < 0) {
    episodeSum += episodeDepth;
    episodes++;
  }
  const mean = n > 0 ? sum / n : 0;
  // One pass: Σ(r − mean)² = Σr² − n·mean². Per-bar returns are small and centred near 0, so
  // the subtraction loses nothing that matters; clamp the rounding residue of a flat curve.
  const squares = Math.max(0, sumSquares - n * mean * mean);
  return {
    mean,
    std: n > 1 ? Math.sqrt(squares / (n - 1)) : 0,
    downsideDeviation: n > 0 ? Math.sqrt((downside * 0.25) / n) : 0,
    maxDrawdown,
    maxDuration,
    avgDrawdown: episodes > 0 ? episodeSum / episodes : 0,
  };
}
