import { Logger } from '@nestjs/common';
import { Client } from 'pg';

const GUARDED = Symbol.for('quant.pgClientErrorGuard');

type Emit = (this: Client, event: string | symbol, ...args: unknown[]) => boolean;

/**
 * Makes a PostgreSQL connection error that nobody listens for a logged event
 * instead of an uncaught exception. pg clients emit `error` when the server
 * ends a connection between queries (a restart, a failover, `pg_terminate_backend`,
 * 57P01 on shutdown); EventEmitter throws an `error` event without listeners,
 * which kills the process. Libraries drop their listeners at awkward moments:
 * BullMQ's PostgreSQL backend removes every listener of its LISTEN client before
 * ending it, so a server that goes away during that close crashed the app.
 * The guard sits on the prototype, so no library's `removeAllListeners` undoes it;
 * a client with listeners is untouched. Installing it twice changes nothing.
 */
export function guardPgClientErrors(log: (message: string) => void = defaultLog): void {
  const proto = Client.prototype as unknown as { emit: Emit; [GUARDED]?: true };
  if (proto[GUARDED]) return;
  const emit = proto.emit;
  proto.emit = function guardedEmit(this: Client, event, ...args) {
    if (event === 'error' && this.listenerCount('error') === 0) {
      log(describePgError(args[0]));
      return false;
    }
    return emit.call(this, event, ...args);
  };
  proto[GUARDED] = true;
}

/** One line for a connection error: its message and SQLSTATE, never a stack or a query's values. */
export function describePgError(err: unknown): string {
  const e = err as { message?: unknown; code?: unknown } | undefined;
  const message = typeof e?.message === 'string' ? e.message : String(err);
  const code = typeof e?.code === 'string' ? ` (${e.code})` : '';
  return `PostgreSQL connection error on an idle connection: ${message}${code}`;
}

const logger = new Logger('Database');

function defaultLog(message: string): void {
  logger.warn(message);
}
