import { performance } from 'node:perf_hooks';
import { parentPort } from 'node:worker_threads';
import { EngineError, runBacktest } from '@app/engine';
import type { EngineMessage, EngineOutput, EngineRequest } from './engine-protocol';

/**
 * One engine thread: runs backtests one at a time, so a long run never blocks the worker's
 * event loop (job locks keep being renewed, progress is published while it runs, and a
 * cancel request reaches the run through the shared flag).
 */
function run(request: EngineRequest): EngineOutput {
  const started = performance.now();
  const result = runBacktest({
    definition: request.definition,
    precision: request.precision,
    candles: request.candles,
    detail: request.detail,
    trades: request.trades,
    settings: request.settings,
    onProgress: (percent) => {
      parentPort!.postMessage({ id: request.id, type: 'progress', percent } satisfies EngineMessage);
      return Atomics.load(request.cancel, 0) === 0;
    },
  });
  return {
    engineVersion: result.engineVersion,
    precision: result.precision,
    fingerprint: result.fingerprint,
    metrics: result.metrics,
    trades: result.trades,
    equityTime: Float64Array.from(result.equity.time),
    equityValue: Float64Array.from(result.equity.equity),
    downsampledTime: Float64Array.from(result.equityDownsampled.time),
    downsampledValue: Float64Array.from(result.equityDownsampled.equity),
    envelope: result.envelope ?? null,
    detailCoverage: result.detailCoverage ?? null,
    bars: request.candles.time.length,
    runMs: performance.now() - started,
  };
}

parentPort!.on('message', (request: EngineRequest) => {
  let message: EngineMessage;
  try {
    const output = run(request);
    message = { id: request.id, type: 'done', output };
    const buffers = [output.equityTime, output.equityValue, output.downsampledTime, output.downsampledValue];
    parentPort!.postMessage(
      message,
      buffers.map((b) => b.buffer as ArrayBuffer),
    );
    return;
  } catch (error) {
    message =
      error instanceof EngineError
        ? { id: request.id, type: 'error', code: error.code, message: error.message, details: error.details }
        : {
            id: request.id,
            type: 'error',
            code: null,
            message: error instanceof Error ? error.message : String(error),
          };
  }
  parentPort!.postMessage(message);
});
