import type { BacktestMetrics, DetailCoverage, Envelope, Precision, Trade } from '@app/engine';

export interface PrecisionRun {
  precision: Precision;
  metrics: BacktestMetrics;
  envelope: Envelope | null;
  detailCoverage: DetailCoverage | null;
  trades: Trade[];
}

interface TradeView {
  exitTime: string;
  exitPrice: number;
  exitReason: Trade['exitReason'];
  pnl: number;
}

export type Difference =
  | {
      kind: 'ambiguousBar';
      /** Open time of the bar whose range held both stop-loss and take-profit. */
      barTime: string;
      side: Trade['side'];
      entryTime: string;
      resolvedDifferently: boolean;
      outcomes: Partial<Record<Precision, TradeView | null>>;
    }
  | {
      kind: 'fillPrice';
      side: Trade['side'];
      entryTime: string;
      leg: 'entry' | 'exit';
      prices: Partial<Record<Precision, number>>;
      /** Largest gap between the precisions' prices, in basis points of the lowest. */
      spreadBps: number;
    }
  | { kind: 'partialFill'; precision: Precision; side: Trade['side']; entryTime: string; extraPrints: number }
  | {
      kind: 'unmatchedTrade';
      precision: Precision;
      side: Trade['side'];
      entryTime: string;
      exitReason: Trade['exitReason'];
    }
  | { kind: 'detailCoverage'; precision: Precision; ratio: number; barsInPosition: number; barsWithDetail: number };

export interface ComparisonReport {
  precisions: Precision[];
  metrics: Partial<Record<Precision, BacktestMetrics>>;
  summary: {
    finalEquity: Partial<Record<Precision, number>>;
    ambiguousBars: number;
    resolvedDifferently: number;
    fillPriceDifferences: number;
    partialFills: number;
    unmatchedTrades: number;
  };
  /** Readable reasons, most important first. */
  explanation: string[];
  differences: Difference[];
  /** True when a list was cut at `maxPerKind` entries (the summary counts all). */
  truncated: boolean;
}

/** Trades of different precisions are the same trade when they enter on the same base bar and side (tick fills carry print times). */
const key = (t: Trade) => `${t.side}|${t.entryBar}`;
const iso = (t: number) => new Date(t).toISOString();
const view = (t: Trade): TradeView => ({
  exitTime: iso(t.exitTime),
  exitPrice: t.exitPrice,
  exitReason: t.exitReason,
  pnl: t.pnl,
});
/** Prices equal to 1e-9 relative are the same fill (float noise of fee arithmetic). */
const samePrice = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));

/**
 * Why runs of one strategy at different precisions differ: bars where kline had to guess the
 * order of stop-loss and take-profit (and how the finer data resolved them), trades that
 * filled at different prices, tick fills that needed several prints, trades only one precision
 * made, and how much of the hybrid run had detail data. Pure; inputs in precision order.
 */
export function compareRuns(runs: PrecisionRun[], maxPerKind = 100): ComparisonReport {
  const precisions = runs.map((r) => r.precision);
  const byKey = new Map<Precision, Map<string, Trade>>(
    runs.map((r) => [r.precision, new Map(r.trades.map((t) => [key(t), t]))]),
  );
  const lists: Record<Difference['kind'], Difference[]> = {
    ambiguousBar: [],
    fillPrice: [],
    partialFill: [],
    unmatchedTrade: [],
    detailCoverage: [],
  };
  const counts = {
    ambiguousBars: 0,
    resolvedDifferently: 0,
    fillPriceDifferences: 0,
    partialFills: 0,
    unmatchedTrades: 0,
  };
  const push = (d: Difference) => {
    if (lists[d.kind].length < maxPerKind) lists[d.kind].push(d);
  };

  const kline = runs.find((r) => r.precision === 'kline');
  for (const t of kline?.trades ?? []) {
    if (!t.ambiguous) continue;
    counts.ambiguousBars++;
    const outcomes: Partial<Record<Precision, TradeView | null>> = {};
    let differently = false;
    for (const r of runs) {
      const other = byKey.get(r.precision)!.get(key(t));
      outcomes[r.precision] = other ? view(other) : null;
      if (!other || other.exitReason !== t.exitReason || other.exitTime !== t.exitTime) differently = true;
    }
    if (differently) counts.resolvedDifferently++;
    push({
      kind: 'ambiguousBar',
      barTime: iso(t.exitTime),
      side: t.side,
      entryTime: iso(t.entryTime),
      resolvedDifferently: differently,
      outcomes,
    });
  }

  const allKeys = new Set(runs.flatMap((r) => r.trades.map(key)));
  for (const k of [...allKeys].sort((a, b) => Number(a.split('|')[1]) - Number(b.split('|')[1]))) {
    const present = runs.map((r) => [r.precision, byKey.get(r.precision)!.get(k)] as const);
    const missing = present.filter(([, t]) => !t);
    if (missing.length > 0) {
      for (const [precision, t] of present) {
        if (!t) continue;
        counts.unmatchedTrades++;
        push({
          kind: 'unmatchedTrade',
          precision,
          side: t.side,
          entryTime: iso(t.entryTime),
          exitReason: t.exitReason,
        });
      }
      continue;
    }
    for (const leg of ['entry', 'exit'] as const) {
      const prices = Object.fromEntries(present.map(([p, t]) => [p, leg === 'entry' ? t!.entryPrice : t!.exitPrice]));
      const values = Object.values(prices);
      const lo = Math.min(...values);
      const hi = Math.max(...values);
      if (samePrice(lo, hi)) continue;
      counts.fillPriceDifferences++;
      const first = present[0][1]!;
      push({
        kind: 'fillPrice',
        side: first.side,
        entryTime: iso(first.entryTime),
        leg,
        prices,
        spreadBps: ((hi - lo) / lo) * 1e4,
      });
    }
  }

  for (const r of runs) {
    for (const t of r.trades) {
      if (t.partialFills === 0) continue;
      counts.partialFills++;
      push({
        kind: 'partialFill',
        precision: r.precision,
        side: t.side,
        entryTime: iso(t.entryTime),
        extraPrints: t.partialFills,
      });
    }
    if (r.detailCoverage) push({ kind: 'detailCoverage', precision: r.precision, ...r.detailCoverage });
  }

  const differences = Object.values(lists).flat();
  return {
    precisions,
    metrics: Object.fromEntries(runs.map((r) => [r.precision, r.metrics])),
    summary: { finalEquity: Object.fromEntries(runs.map((r) => [r.precision, r.metrics.finalEquity])), ...counts },
    explanation: explain(runs, counts),
    differences,
    truncated: Object.values(lists).some((l) => l.length >= maxPerKind),
  };
}

function explain(
  runs: PrecisionRun[],
  c: ComparisonReport['summary'] extends infer S ? Omit<S, 'finalEquity'> : never,
): string[] {
  const lines: string[] = [];
  const equity = runs.map((r) => `${r.precision} ${r.metrics.finalEquity.toFixed(2)}`).join(', ');
  lines.push(`Final equity: ${equity}.`);
  if (c.ambiguousBars > 0) {
    lines.push(
      `${c.ambiguousBars} kline trade(s) exited on a bar whose range held both stop-loss and take-profit; kline assumed the worse came first, ` +
        `${c.resolvedDifferently} of them ended differently with finer data.`,
    );
  }
  if (c.fillPriceDifferences > 0)
    lines.push(
      `${c.fillPriceDifferences} fill(s) happened at different prices (slippage model, latency, market impact).`,
    );
  if (c.partialFills > 0) lines.push(`${c.partialFills} tick trade(s) needed more than one print to fill.`);
  if (c.unmatchedTrades > 0)
    lines.push(`${c.unmatchedTrades} trade(s) exist at one precision only: an earlier exit changed what followed.`);
  const hybrid = runs.find((r) => r.detailCoverage);
  if (hybrid?.detailCoverage && hybrid.detailCoverage.ratio < 1) {
    lines.push(
      `Hybrid had detail data for ${(hybrid.detailCoverage.ratio * 100).toFixed(1)}% of the bars in a position; the rest fell back to kline rules.`,
    );
  }
  if (lines.length === 1) lines.push('The precisions agree: no ambiguous bars, equal fills, no partial fills.');
  return lines;
}
