import { Logger } from '@nestjs/common';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { EngineError } from '@app/engine';
import type { EngineMessage, EngineOutput, EngineRequest } from './engine-protocol';

export type EngineJob = Omit<EngineRequest, 'id' | 'cancel'>;

export interface EngineRun {
  /** Resolves with the result; rejects with EngineError (CANCELLED after `cancel()`) or a thread failure. */
  result: Promise<EngineOutput>;
  /** Stops the run at its next progress point. */
  cancel(): void;
}

interface Pending {
  job: EngineRequest;
  transfer: ArrayBuffer[];
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

function typedBuffers(job: EngineJob): ArrayBuffer[] {
  const arrays: ArrayBufferView[] = [];
  const series = [job.candles, ...(job.detail ?? [])];
  for (const s of series) arrays.push(s.time, s.open, s.high, s.low, s.close, s.volume);
  if (job.trades) arrays.push(job.trades.time, job.trades.price, job.trades.amount, job.trades.side);
  // Each buffer once, and only whole buffers that nothing else shares (transfer detaches them).
  return [...new Set(arrays.map((a) => a.buffer as ArrayBuffer))].filter((b) => !(b instanceof SharedArrayBuffer));
}

/**
 * A fixed set of engine threads, started on first use. Runs queue when every thread is busy.
 * The input's typed arrays are transferred to the thread: the caller must not use them after.
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
    const result = new Promise<EngineOutput>((resolve, reject) => {
      if (this.closed) return reject(new Error('the engine pool is closed'));
      const request: EngineRequest = { ...job, id: this.nextId++, cancel };
      this.waiting.push({ job: request, transfer: typedBuffers(job), onProgress, resolve, reject });
      this.dispatch();
    });
    return { result, cancel: () => Atomics.store(cancel, 0, 1) };
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
