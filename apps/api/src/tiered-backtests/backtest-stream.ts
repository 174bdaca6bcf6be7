import { BacktestEvents, BacktestQueryService, BacktestView, JobEvent, TERMINAL_STATUSES } from '@app/tiered-backtests';
import type { SseStream } from '../http/sse-stream';
import { mapBacktest } from './tiered-backtests.dto';

/** The database is read again at least this often, in case a queue event was missed. */
const RECHECK_MS = 5_000;

/**
 * Streams one backtest's life as SSE: `status` (now and on each change), `progress` (0-100 as
 * the worker publishes it), and a final `summary` (the resource with its result) before the
 * stream ends. Subscribes to the queue's events before reading the row, so nothing falls
 * between the two; terminal states are always read from the database, never inferred.
 * The first read answers 404 (before `open` is called) when the backtest is not the owner's.
 * Resolves once the stream is set up; it then runs until the backtest ends or the client goes.
 */
export async function streamBacktest(
  open: () => SseStream,
  query: BacktestQueryService,
  events: BacktestEvents,
  ownerId: string,
  id: string,
): Promise<void> {
  const early: JobEvent[] = [];
  let onEvent = (event: JobEvent) => void early.push(event);
  const unsubscribe = await events.subscribe(id, (event) => onEvent(event));
  let first: BacktestView;
  try {
    first = await query.get(ownerId, id);
  } catch (error) {
    unsubscribe();
    throw error;
  }
  const sse = open();

  let lastStatus: string | undefined;
  let lastProgress = -1;
  let checking: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined = undefined;

  const stop = () => {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    unsubscribe();
    sse.close();
  };
  const show = (view: BacktestView) => {
    const b = view.backtest;
    if (b.status !== lastStatus) {
      lastStatus = b.status;
      sse.send('status', { id, status: b.status, progress: b.progress });
    }
    if (TERMINAL_STATUSES.includes(b.status)) {
      sse.send('summary', mapBacktest(b, view.result));
      stop();
    }
  };
  /** Reads the row; a request that comes while a read runs makes one more read follow it. */
  const check = (): Promise<void> => {
    if (stopped) return Promise.resolve();
    if (checking) {
      again = true;
      return checking;
    }
    checking = (async () => {
      do {
        again = false;
        await query.get(ownerId, id).then(show, stop);
      } while (again && !stopped);
    })().finally(() => (checking = undefined));
    return checking;
  };
  const handle = (event: JobEvent) => {
    if (event.type !== 'progress') return void check();
    if (event.progress <= lastProgress) return;
    lastProgress = event.progress;
    // The queue's `active` event comes before the worker marks the row running; progress proves it.
    if (lastStatus === 'queued') {
      lastStatus = 'running';
      sse.send('status', { id, status: 'running', progress: event.progress });
    }
    sse.send('progress', { id, progress: event.progress });
  };

  sse.onClientGone(stop);
  show(first);
  if (stopped) return;
  onEvent = handle;
  early.forEach(handle);
  timer = setInterval(() => void check(), RECHECK_MS);
}
