import type {
  BacktestInput,
  BacktestMetrics,
  DetailCoverage,
  EngineErrorCode,
  Envelope,
  Precision,
  Trade,
} from '@app/engine';

/** What the pool sends a thread: the engine's input without the callback, and a cancel flag. */
export type EngineRequest = Omit<BacktestInput, 'onProgress'> & {
  id: number;
  /** Int32Array over a SharedArrayBuffer: 1 asks the run to stop at its next progress point. */
  cancel: Int32Array;
};

/** A result in storable pieces: typed arrays travel as transferred buffers, not copies. */
export interface EngineOutput {
  engineVersion: string;
  precision: Precision;
  fingerprint: string;
  metrics: BacktestMetrics;
  trades: Trade[];
  equityTime: Float64Array;
  equityValue: Float64Array;
  downsampledTime: Float64Array;
  downsampledValue: Float64Array;
  envelope: Envelope | null;
  detailCoverage: DetailCoverage | null;
  bars: number;
  runMs: number;
}

export type EngineMessage =
  | { id: number; type: 'progress'; percent: number }
  | { id: number; type: 'done'; output: EngineOutput }
  | { id: number; type: 'error'; code: EngineErrorCode | null; message: string; details?: unknown };
