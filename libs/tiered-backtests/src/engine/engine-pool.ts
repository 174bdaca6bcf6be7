import { Logger } from '@nestjs/common';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { MessageChannel, Worker, type MessagePort, type TransferListItem } from 'node:worker_threads';
import { EngineError, type BacktestInput, type CandleSeries, type TradeSeries } from '@app/engine';
import type { ChunkAnswer, ChunkAsk, EngineMessage, EngineOutput, EngineRequest } from './engine-protocol';

/** A detail series that arrives in chunks, in time order. */
export interface CandleChunks {
  timeframeMs: number;
  chunks: AsyncIterable<CandleSeries>;
}

/**
 * A run: the engine's input with the detail series and the prints as async iterables of chunks,
 * which the thread draws one chunk at a time as the run reaches them.
 */
export type EngineJob = Omit<BacktestInput, 'onProgress' | 'detail' | 'trades'> & {
  detail?: CandleChunks[];
  trades?: AsyncIterable<TradeSeries>;
};

export interface EngineRun {
  /** Resolves with the result; rejects with EngineError (CANCELLED after `cancel()`) or a thread failure. */
  result: Promise<EngineOutput>;
  /** Stops the run at its next progress point. */
  cancel(): void;
}

interface Pending {
  job: EngineRequest;
  transfer: TransferListItem[];
  onProgress: (percent: number) => void;
  resolve: (output: EngineOutput) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  current?: Pending;
}

/** The thread entry: the built .js beside this file, or the .ts source through swc when run from source. */
function threadEntry(): { file: string; eval: boolean } {
  const js = path.join(__dirname, 'engine-thread.js');
  if (existsSync(js)) return { file: js, eval: false };
  const register = path.resolve(__dirname, '../../../../scripts/register-ts.js');
  const ts = path.join(__dirname, 'engine-thread.ts');
  return { file: `require(${JSON.stringify(register)}); require(${JSON.stringify(ts)});`, eval: true };
}

function columns(s: CandleSeries | TradeSeries): ArrayBufferView[] {
  return 'open' in s ? [s.time, s.open, s.high, s.low, s.close, s.volume] : [s.time, s.price, s.amount, s.side];
}

function transferable(arrays: ArrayBufferView[]): ArrayBuffer[] {
  // Each buffer once, and only whole buffers that nothing else shares (transfer detaches them).
  return [...new Set(arrays.map((a) => a.buffer as ArrayBuffer))].filter((b) => !(b instanceof SharedArrayBuffer));
}

/**
 * A chunk whose every column owns its whole buffer, so that it can be transferred: a view into
 * a larger buffer is copied (a message would otherwise copy, or a transfer detach, the whole
 * buffer behind it).
 */
function owned<T extends CandleSeries | TradeSeries>(chunk: T): T {
  const copy = <A extends Float64Array | Int8Array>(a: A): A =>
    (a.byteOffset === 0 && a.byteLength === a.buffer.byteLength && !(a.buffer instanceof SharedArrayBuffer)
      ? a
      : a.slice()) as A;
  if ('open' in chunk) {
    return {
      time: copy(chunk.time),
      open: copy(chunk.open),
      high: copy(chunk.high),
      low: copy(chunk.low),
      close: copy(chunk.close),
      volume: copy(chunk.volume),
      timeframeMs: chunk.timeframeMs,
    } as T;
  }
  return { time: copy(chunk.time), price: copy(chunk.price), amount: copy(chunk.amount), side: copy(chunk.side) } as T;
}

/**
 * The pool's end of a run's chunk channel: answers each ask of the thread with the next chunk of
 * that stream, and reads the one after meanwhile (at most one chunk waits here, one in the
 * thread). A source that fails ends the stream with an error; the run then fails with the
 * source's own error (`failure`), which the runner classifies.
 */
class ChunkFeed {
  /** The thread's end of the channel. */
  readonly port: MessagePort;
  readonly answered = new Int32Array(new SharedArrayBuffer(4));
  private readonly local: MessagePort;
  failure?: unknown;
  private readonly iterators: AsyncIterator<CandleSeries | TradeSeries>[];
  private readonly ahead: (Promise<IteratorResult<CandleSeries | TradeSeries>> | undefined)[];
  private closed = false;

  constructor(job: EngineJob) {
    const sources: AsyncIterable<CandleSeries | TradeSeries>[] = (job.detail ?? []).map((d) => d.chunks);
    if (job.trades) sources.push(job.trades);
    this.iterators = sources.map((s) => s[Symbol.asyncIterator]());
    this.ahead = this.iterators.map(() => undefined);
    const channel = new MessageChannel();
    this.port = channel.port2;
    channel.port1.on('message', (ask: ChunkAsk) => void this.answer(channel.port1, ask.stream));
    channel.port1.unref();
    this.local = channel.port1;
  }

  private async answer(port: MessagePort, stream: number): Promise<void> {
    let answer: ChunkAnswer;
    let transfer: ArrayBuffer[] = [];
    try {
      const next = await (this.ahead[stream] ?? this.iterators[stream].next());
      this.ahead[stream] = undefined;
      if (next.done === true) answer = { stream, chunk: null };
      else {
        const chunk = owned(next.value);
        answer = { stream, chunk };
        transfer = transferable(columns(chunk));
        const following = this.iterators[stream].next();
        following.catch(() => undefined);
        this.ahead[stream] = following;
      }
    } catch (error) {
      this.failure ??= error;
      answer = { stream, error: error instanceof Error ? error.message : String(error) };
    }
    if (this.closed) return;
    port.postMessage(answer, transfer);
    Atomics.add(this.answered, 0, 1);
    Atomics.notify(this.answered, 0);
  }

  /** Wakes a thread waiting for a chunk (it then sees the cancel flag). */
  wake(): void {
    Atomics.add(this.answered, 0, 1);
    Atomics.notify(this.answered, 0);
  }

  /** The run is over: the sources are told to stop (a database cursor is released) and the channel closes. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.local.close();
    for (const it of this.iterators) void it.return?.()?.catch(() => undefined);
  }
}

/**
 * A fixed set of engine threads, started on first use. Runs queue when every thread is busy.
 * The candles' typed arrays are transferred to the thread: the caller must not use them after.
 * Detail bars and prints are drawn from their sources only while the run is on a thread, one
 * chunk at a time, so a queued run holds none of them.
 */
export class EnginePool {
  private readonly logger = new Logger(EnginePool.name);
  private readonly slots: Slot[] = [];
  private readonly waiting: Pending[] = [];
  private nextId = 1;
  private closed = false;

  constructor(private readonly size: number) {}

  run(job: EngineJob, onProgress: (percent: number) => void = () => undefined): EngineRun {
    const cancel = new Int32Array(new SharedArrayBuffer(4));
    let streams: ChunkFeed | undefined;
    const result = new Promise<EngineOutput>((resolve, reject) => {
      if (this.closed) return reject(new Error('the engine pool is closed'));
      const feed = (streams = new ChunkFeed(job));
      const request: EngineRequest = {
        definition: job.definition,
        precision: job.precision,
        candles: job.candles,
        settings: job.settings,
        detail: job.detail?.map((d) => d.timeframeMs),
        trades: job.trades !== undefined,
        id: this.nextId++,
        cancel,
        port: feed.port,
        answered: feed.answered,
      };
      const transfer = [...transferable(columns(job.candles)), feed.port];
      const settle =
        <A extends unknown[]>(f: (...a: A) => void) =>
        (...a: A) => {
          feed.close();
          f(...a);
        };
      // A run that failed because its source failed fails with the source's error.
      const fail = (error: Error) => reject((feed.failure as Error | undefined) ?? error);
      this.waiting.push({
        job: request,
        transfer,
        onProgress,
        resolve: settle(resolve),
        reject: settle(fail),
      });
      this.dispatch();
    });
    return {
      result,
      cancel: () => {
        Atomics.store(cancel, 0, 1);
        streams?.wake();
      },
    };
  }

  /** Threads started so far (they start on demand). */
  get threads(): number {
    return this.slots.length;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.waiting.splice(0)) p.reject(new Error('the engine pool is closed'));
    await Promise.all(this.slots.splice(0).map((s) => s.worker.terminate()));
  }

  private dispatch(): void {
    while (this.waiting.length > 0) {
      let slot = this.slots.find((s) => s.current === undefined);
      if (!slot && this.slots.length < this.size) slot = this.spawn();
      if (!slot) return;
      const next = this.waiting.shift()!;
      slot.current = next;
      slot.worker.postMessage(next.job, next.transfer);
    }
  }

  private spawn(): Slot {
    const entry = threadEntry();
    const worker = new Worker(entry.file, { eval: entry.eval });
    const slot: Slot = { worker };
    worker.unref();
    worker.on('message', (message: EngineMessage) => {
      const current = slot.current;
      if (!current || current.job.id !== message.id) return;
      if (message.type === 'progress') {
        current.onProgress(message.percent);
        return;
      }
      slot.current = undefined;
      if (message.type === 'done') current.resolve(message.output);
      else if (message.code !== null) current.reject(new EngineError(message.code, message.message, message.details));
      else current.reject(new Error(`engine thread: ${message.message}`));
      this.dispatch();
    });
    worker.on('error', (error) => {
      this.logger.error(`engine thread failed: ${error.message}`);
      this.replace(slot, error);
    });
    worker.on('exit', (code) => {
      if (!this.closed && this.slots.includes(slot))
        this.replace(slot, new Error(`engine thread exited with code ${code}`));
    });
    this.slots.push(slot);
    return slot;
  }

  /** A thread died (out of memory, a crash): fail its run, drop it, and go on with a new one. */
  private replace(slot: Slot, error: Error): void {
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
    slot.current?.reject(error);
    slot.current = undefined;
    void slot.worker.terminate();
    this.dispatch();
  }
}
