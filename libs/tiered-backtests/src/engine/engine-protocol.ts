import type { MessagePort } from 'node:worker_threads';
import type {
  BacktestInput,
  BacktestMetrics,
  CandleSeries,
  DetailCoverage,
  EngineErrorCode,
  Envelope,
  Precision,
  Trade,
  TradeSeries,
} from '@app/engine';

/**
 * What the pool sends a thread: the engine's input without the callback and without the
 * streamed series, which the thread asks for chunk by chunk; and a cancel flag.
 */
export type EngineRequest = Omit<BacktestInput, 'onProgress' | 'detail' | 'trades'> & {
  id: number;
  /** Int32Array over a SharedArrayBuffer: 1 asks the run to stop at its next progress point. */
  cancel: Int32Array;
  /** Hybrid: the detail series' timeframes, coarsest first; stream k is detail series k. */
  detail?: number[];
  /** Tick: the prints are the stream after the detail series (stream 0 without detail). */
  trades?: boolean;
  /** The thread's end of the run's chunk channel (see ChunkAsk / ChunkAnswer). */
  port: MessagePort;
  /** Int32Array over a SharedArrayBuffer, bumped (and notified) after every answer on `port`. */
  answered: Int32Array;
};

/** The thread asks for the next chunk of one stream once it has consumed the one before. */
export interface ChunkAsk {
  stream: number;
}

/** A chunk (its buffers transferred), the end of the stream (`null`), or why there is none. */
export type ChunkAnswer =
  { stream: number; chunk: CandleSeries | TradeSeries | null } | { stream: number; error: string };

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
