import pino, { DestinationStream } from 'pino';

/** What the destination writes to: pino's file-descriptor stream (sonic-boom). */
export interface LineSink {
  write(chunk: string): unknown;
  flushSync(): void;
  /** Set once it has been ended. */
  readonly destroyed?: boolean;
}

/**
 * A pino destination that writes the lines logged during one turn of the event
 * loop as one chunk, at the end of that turn: one write(2) per turn instead of
 * one per line, and a quiet server still writes each line in the turn it was
 * logged.
 *
 * It replaces sonic-boom's asynchronous mode, which appends every line to a
 * pending buffer and measures that buffer's UTF-8 length on every append, so
 * each line logged while a write is in flight costs a copy of everything still
 * pending, and each write is a round trip through libuv's thread pool. Under
 * load the access line was then the largest single cost of a small request:
 * 6–7 µs of the 49 µs of CPU of an authenticated `GET /api/v1/auth/me`
 * (`npm run bench -- http`).
 */
export class BatchedLineDestination implements DestinationStream {
  private pending: string[] = [];
  private readonly drain = (): void => this.flushPending();

  constructor(private readonly sink: LineSink) {}

  write(line: string): void {
    if (this.pending.push(line) === 1) setImmediate(this.drain);
  }

  /** Writes what is pending and waits for it to reach the file descriptor (process exit, fatal errors). */
  flushSync(): void {
    this.flushPending();
    if (!this.sink.destroyed) this.sink.flushSync();
  }

  private flushPending(): void {
    if (this.pending.length === 0) return;
    const chunk = this.pending.length === 1 ? this.pending[0] : this.pending.join('');
    this.pending = [];
    // Once the stream has been ended, nothing more can be written.
    if (!this.sink.destroyed) this.sink.write(chunk);
  }
}

let stdout: BatchedLineDestination | undefined;

/**
 * The one destination for JSON lines on stdout, shared by every logger of the
 * process so that lines from different loggers never interleave mid-line.
 * Writes are synchronous, as with pino's default destination: a log reader that
 * falls behind slows the process rather than growing its memory. What is
 * pending is written out when the process exits.
 */
export function stdoutLines(): BatchedLineDestination {
  if (!stdout) {
    const destination = new BatchedLineDestination(pino.destination({ dest: 1, sync: true }));
    process.once('exit', () => destination.flushSync());
    stdout = destination;
  }
  return stdout;
}
