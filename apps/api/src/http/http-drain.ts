import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { httpDrain } from './fastify-hooks';

const POLL_MS = 20;

export interface DrainOutcome {
  /** Requests still unanswered when the drain ended (their connections were closed). */
  abandoned: number;
  /** Event streams that were ended. */
  streams: number;
}

/**
 * The first step of the API's shutdown: from now on new requests are answered
 * 503 `SHUTTING_DOWN` (the server still listens, so nobody connecting now is
 * reset), open event streams are ended, and the requests already admitted get
 * until `until` (epoch ms) to finish. Whatever is still running then has its
 * connection closed, so the rest of the shutdown fits the budget.
 */
export async function drainHttp(
  app: NestFastifyApplication,
  until: number,
  log: (message: string) => void,
): Promise<DrainOutcome> {
  httpDrain.draining = true;
  const streams = httpDrain.endStreams();
  while (httpDrain.pending() > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, POLL_MS));
  const abandoned = Math.max(0, httpDrain.pending());
  if (abandoned > 0) {
    log(`${abandoned} request(s) still running when the drain time ran out; closing their connections`);
    app.getHttpAdapter().getInstance().server.closeAllConnections();
  }
  return { abandoned, streams };
}
