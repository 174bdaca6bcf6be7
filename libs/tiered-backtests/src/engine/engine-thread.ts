import { performance } from 'node:perf_hooks';
import { parentPort, receiveMessageOnPort } from 'node:worker_threads';
import { EngineError, runBacktestStream, type CandleSeries, type TradeSeries } from '@app/engine';
import type { ChunkAnswer, ChunkAsk, EngineMessage, EngineOutput, EngineRequest } from './engine-protocol';

/** How long a wait for a chunk sleeps before it looks at the cancel flag again. */
const CANCEL_CHECK_MS = 100;

/**
 * The chunks of one stream, asked for one at a time. The engine is synchronous, so the thread
 * blocks (Atomics.wait) until the pool's answer is on the port and takes it off synchronously:
 * at most the chunk being played and the one asked for are in the thread, and the engine never
 * learns that its input arrives asynchronously. A cancel while waiting stops the run at once.
 */
function* chunksOf<T extends CandleSeries | TradeSeries>(request: EngineRequest, stream: number): Generator<T> {
  for (;;) {
    request.port.postMessage({ stream } satisfies ChunkAsk);
    const answer = awaitAnswer(request);
    if ('error' in answer) throw new StreamError(answer.error);
    if (answer.chunk === null) return;
    yield answer.chunk as T;
  }
}

function awaitAnswer(request: EngineRequest): ChunkAnswer {
  for (;;) {
    const seen = Atomics.load(request.answered, 0);
    const received = receiveMessageOnPort(request.port);
    if (received) return received.message as ChunkAnswer;
    if (Atomics.load(request.cancel, 0) !== 0) throw new EngineError('CANCELLED', 'backtest cancelled');
    Atomics.wait(request.answered, 0, seen, CANCEL_CHECK_MS);
  }
}

/** The pool could not read a chunk from its source; the pool reports the source's own error. */
class StreamError extends Error {}

/**
 * One engine thread: runs backtests one at a time, so a long run never blocks the worker's
 * event loop (job locks keep being renewed, progress is published while it runs, and a
 * cancel request reaches the run through the shared flag).
 */
function run(request: EngineRequest): EngineOutput {
  const started = performance.now();
  const streams = request.detail?.length ?? 0;
  const result = runBacktestStream({
    definition: request.definition,
    precision: request.precision,
    candles: request.candles,
    detail: request.detail?.map((timeframeMs, k) => ({ timeframeMs, chunks: chunksOf<CandleSeries>(request, k) })),
    trades: request.trades ? chunksOf<TradeSeries>(request, streams) : undefined,
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
  } finally {
    request.port.close();
  }
  parentPort!.postMessage(message);
});
