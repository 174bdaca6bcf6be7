import { Injectable } from '@nestjs/common';
import type { Trade } from '@app/engine';
import type { AiBacktestView, AiComparisonDifferences, AiContextPort, AiStrategyView } from '@app/ai-chat';
import { StrategyRecord, StrategyService } from '@app/strategies';
import {
  BACKTEST_STATUSES,
  BacktestQueryService,
  BacktestRecord,
  BacktestResultRecord,
  BacktestStatus,
} from '@app/tiered-backtests';

const strategyView = (s: StrategyRecord): AiStrategyView => ({
  id: s.id,
  name: s.name,
  description: s.description,
  tags: s.tags,
  version: s.version,
  definition: s.definition,
  updatedAt: s.updatedAt,
});

const backtestView = (b: BacktestRecord, r: BacktestResultRecord | null): AiBacktestView => ({
  id: b.id,
  status: b.status,
  precision: b.precision,
  strategyId: b.strategyId,
  strategyVersion: b.strategyVersion,
  exchange: b.exchange,
  symbol: b.symbol,
  timeframe: b.timeframe,
  from: new Date(b.from),
  to: new Date(b.to),
  initialCapital: b.initialCapital,
  feeRate: b.feeRate,
  slippageBps: b.slippageBps,
  comparisonId: b.comparisonId,
  error: b.error,
  createdAt: b.createdAt,
  finishedAt: b.finishedAt,
  result: r && {
    metrics: r.metrics,
    envelope: r.envelope,
    detailCoverage: r.detailCoverage,
    fingerprint: r.fingerprint,
    engineVersion: r.engineVersion,
  },
});

/**
 * The assistant's view of strategies and backtests (ai-chat's port), through the strategies and
 * tiered-backtests features' own services: every call scoped to the owner, so the assistant can
 * reach nothing the user could not.
 */
@Injectable()
export class AiContextAdapter implements AiContextPort {
  constructor(
    private readonly strategies: StrategyService,
    private readonly runs: BacktestQueryService,
  ) {}

  async strategy(ownerId: string, id: string): Promise<AiStrategyView> {
    return strategyView(await this.strategies.get(ownerId, id));
  }

  async saveStrategy(ownerId: string, input: Parameters<AiContextPort['saveStrategy']>[1]): Promise<AiStrategyView> {
    return strategyView(await this.strategies.create(ownerId, input));
  }

  async backtests(
    ownerId: string,
    filter: { strategyId?: string; status?: string; limit: number },
  ): Promise<AiBacktestView[]> {
    const status = (BACKTEST_STATUSES as readonly string[]).includes(filter.status ?? '')
      ? (filter.status as BacktestStatus)
      : undefined;
    const page = await this.runs.list(
      ownerId,
      { status, strategyId: filter.strategyId },
      { limit: Math.min(100, filter.limit) },
    );
    return page.items.map((b) => backtestView(b, null));
  }

  async backtest(ownerId: string, id: string): Promise<AiBacktestView> {
    const view = await this.runs.get(ownerId, id);
    return backtestView(view.backtest, view.result);
  }

  async worstTrades(ownerId: string, backtestId: string, count: number): Promise<Trade[]> {
    return this.runs.worstTrades(ownerId, backtestId, count);
  }

  async comparison(ownerId: string, backtestId: string): Promise<AiComparisonDifferences | null> {
    const { backtest } = await this.runs.get(ownerId, backtestId);
    if (backtest.comparisonId === null) return null;
    const { report } = await this.runs.comparison(ownerId, backtest.comparisonId);
    return report && { precisions: report.precisions, metrics: report.metrics, differences: report.differences };
  }
}
