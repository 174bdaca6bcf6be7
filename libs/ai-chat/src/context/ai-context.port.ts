import type { BacktestMetrics, DetailCoverage, Envelope, Precision, ParameterizedDefinition, Trade } from '@app/engine';

/**
 * The assistant's only way to read and save strategies and backtests. The strategies and
 * tiered-backtests features implement it and bind it (`AiChatModule.forRoot({ context })`);
 * ai-chat never imports their internals. Every method is scoped to the owner: another user's
 * id is "not found".
 */
export const AI_CONTEXT = Symbol('AI_CONTEXT');

export interface AiStrategyView {
  id: string;
  name: string;
  description: string;
  tags: string[];
  version: number;
  definition: ParameterizedDefinition;
  updatedAt: Date;
}

export interface AiBacktestView {
  id: string;
  status: 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
  precision: Precision;
  strategyId: string;
  strategyVersion: number;
  exchange: string;
  symbol: string;
  timeframe: string;
  from: Date;
  to: Date;
  initialCapital: number;
  feeRate: number;
  slippageBps: number;
  comparisonId: string | null;
  error: { code: string; message: string } | null;
  createdAt: Date;
  finishedAt: Date | null;
  result: {
    metrics: BacktestMetrics;
    envelope: Envelope | null;
    detailCoverage: DetailCoverage | null;
    fingerprint: string;
    engineVersion: string;
  } | null;
}

export interface AiComparisonDifferences {
  precisions: Precision[];
  metrics: Record<string, BacktestMetrics | null>;
  differences: unknown[];
}

export interface AiContextPort {
  /** Throws an AppError with a 404 code when missing or not the owner's. */
  strategy(ownerId: string, id: string): Promise<AiStrategyView>;
  saveStrategy(
    ownerId: string,
    input: { name: string; description: string; tags: string[]; definition: ParameterizedDefinition },
  ): Promise<AiStrategyView>;
  backtests(
    ownerId: string,
    filter: { strategyId?: string; status?: string; limit: number },
  ): Promise<AiBacktestView[]>;
  /** Throws an AppError with a 404 code when missing or not the owner's. */
  backtest(ownerId: string, id: string): Promise<AiBacktestView>;
  /** The `count` trades with the lowest pnl. */
  worstTrades(ownerId: string, backtestId: string, count: number): Promise<Trade[]>;
  /** The comparison the backtest belongs to, when it has one and it finished. */
  comparison(ownerId: string, backtestId: string): Promise<AiComparisonDifferences | null>;
}
