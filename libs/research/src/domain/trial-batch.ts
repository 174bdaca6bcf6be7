import {
  EngineError,
  runBacktest,
  type BacktestMetrics,
  type BacktestSettings,
  type CandleSeries,
  type Precision,
  type StrategyDefinition,
} from '@app/engine';
import { evaluateObjective, type Objective } from './objective';
import type { ParamValues } from './space';

export interface TrialBatchInput {
  /** Param values → the concrete definition (the engine's bindParams for a definition with params). */
  bind: (params: ParamValues) => StrategyDefinition;
  candles: CandleSeries;
  detail?: CandleSeries[];
  precision: Precision;
  settings: BacktestSettings;
  params: readonly ParamValues[];
  objective: Objective;
  /** Keep each trial's equity curve (for PBO); off by default, a curve per trial is large. */
  keepEquity?: boolean;
}

export type TrialResult =
  | {
      params: ParamValues;
      status: 'done';
      metrics: BacktestMetrics;
      value: number | null;
      score: number | null;
      feasible: boolean;
      violations: string[];
      equity?: Float64Array;
    }
  | { params: ParamValues; status: 'failed'; error: { code: string; message: string }; value: null; score: null };

/**
 * Runs a batch of trials on one series, the unit a worker evaluates. A trial the engine refuses
 * (a definition invalid at some param value, e.g. a period of 0) is recorded as failed with its
 * reason and the batch goes on; anything else is a bug and propagates.
 */
export function runTrialBatch(input: TrialBatchInput): TrialResult[] {
  return input.params.map((params): TrialResult => {
    try {
      const result = runBacktest({
        definition: input.bind(params),
        precision: input.precision,
        candles: input.candles,
        detail: input.detail,
        settings: input.settings,
      });
      const evaluation = evaluateObjective(result.metrics as unknown as Record<string, unknown>, input.objective);
      return {
        params,
        status: 'done',
        metrics: result.metrics,
        ...evaluation,
        ...(input.keepEquity ? { equity: result.equity.equity } : {}),
      };
    } catch (error) {
      if (!(error instanceof EngineError)) throw error;
      return {
        params,
        status: 'failed',
        error: { code: error.code, message: error.message },
        value: null,
        score: null,
      };
    }
  });
}
