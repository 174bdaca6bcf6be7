import type { BacktestMetrics, Trade } from '@app/engine';
import type { AiBacktestView, AiComparisonDifferences, AiStrategyView } from './ai-context.port';

/**
 * Compact, structured views of a user's strategies and backtests for the model: what a careful
 * analyst would put on one page. Pure functions; the numbers are rounded to 6 significant digits
 * and long free text is cut, so a summary stays a few thousand characters at most.
 */

const DESCRIPTION_CHARS = 600;
const LISTED_AMBIGUOUS_BARS = 10;
const LISTED_DIFFERENCES = 10;
const DIFFERENCE_CHARS = 400;

function round(n: number | null): number | null {
  if (n === null || !Number.isFinite(n) || Number.isInteger(n)) return n;
  return Number(n.toPrecision(6));
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

const iso = (t: Date | number | null) => (t === null ? null : new Date(t).toISOString());

export function summarizeMetrics(metrics: BacktestMetrics): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const [key, value] of Object.entries(metrics)) out[key] = round(value as number | null);
  return out;
}

/** The figures that tell a run apart at a glance. */
export function headlineMetrics(m: BacktestMetrics) {
  return {
    totalReturnPct: round(m.totalReturnPct),
    maxDrawdownPct: round(m.maxDrawdownPct),
    sharpe: round(m.sharpe),
    tradeCount: m.tradeCount,
    winRatePct: round(m.winRatePct),
    profitFactor: round(m.profitFactor),
    ambiguousTrades: m.ambiguousTrades,
  };
}

export function summarizeStrategy(s: AiStrategyView) {
  return {
    id: s.id,
    name: s.name,
    description: cut(s.description, DESCRIPTION_CHARS),
    tags: s.tags,
    version: s.version,
    updatedAt: iso(s.updatedAt),
    definition: s.definition,
  };
}

/** One line of a backtest list: settings, status and headline figures. */
export function summarizeBacktestBrief(b: AiBacktestView) {
  return {
    id: b.id,
    status: b.status,
    precision: b.precision,
    strategyId: b.strategyId,
    strategyVersion: b.strategyVersion,
    market: { exchange: b.exchange, symbol: b.symbol, timeframe: b.timeframe },
    from: iso(b.from),
    to: iso(b.to),
    createdAt: iso(b.createdAt),
    finishedAt: iso(b.finishedAt),
    error: b.error,
    metrics: b.result ? headlineMetrics(b.result.metrics) : null,
  };
}

export function summarizeTrade(t: Trade) {
  return {
    side: t.side,
    entryTime: iso(t.entryTime),
    entryPrice: round(t.entryPrice),
    exitTime: iso(t.exitTime),
    exitPrice: round(t.exitPrice),
    units: round(t.units),
    pnl: round(t.pnl),
    pnlPct: round(t.pnlPct),
    fees: round(t.fees),
    exitReason: t.exitReason,
    ambiguous: t.ambiguous,
  };
}

export function summarizeComparison(c: AiComparisonDifferences) {
  const metrics: Record<string, ReturnType<typeof headlineMetrics> | null> = {};
  for (const [precision, m] of Object.entries(c.metrics)) metrics[precision] = m ? headlineMetrics(m) : null;
  return {
    precisions: c.precisions,
    metrics,
    differenceCount: c.differences.length,
    differences: c.differences
      .slice(0, LISTED_DIFFERENCES)
      .map((d) =>
        typeof d === 'string' ? cut(d, DIFFERENCE_CHARS) : cut(JSON.stringify(d) ?? 'null', DIFFERENCE_CHARS),
      ),
  };
}

/** Everything the assistant should know about one backtest to discuss it. */
export function summarizeBacktest(b: AiBacktestView, worstTrades: Trade[], comparison: AiComparisonDifferences | null) {
  const result = b.result;
  return {
    ...summarizeBacktestBrief(b),
    settings: { initialCapital: b.initialCapital, feeRate: b.feeRate, slippageBps: b.slippageBps },
    comparisonId: b.comparisonId,
    metrics: result ? summarizeMetrics(result.metrics) : null,
    envelope: result?.envelope
      ? {
          bestFinalEquity: round(result.envelope.bestFinalEquity),
          worstFinalEquity: round(result.envelope.worstFinalEquity),
          ambiguousBarCount: result.envelope.ambiguousBars.length,
          firstAmbiguousBars: result.envelope.ambiguousBars.slice(0, LISTED_AMBIGUOUS_BARS),
        }
      : null,
    detailCoverage: result?.detailCoverage
      ? { ...result.detailCoverage, ratio: round(result.detailCoverage.ratio) }
      : null,
    engine: result ? { version: result.engineVersion, dataFingerprint: result.fingerprint } : null,
    worstTrades: worstTrades.map(summarizeTrade),
    comparison: comparison ? summarizeComparison(comparison) : null,
  };
}

/**
 * JSON of `value` that cannot close the tag it is embedded in: `<` is written as `\u003c`, so
 * a strategy named `</context>` stays inside the data.
 */
export function asData(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}
