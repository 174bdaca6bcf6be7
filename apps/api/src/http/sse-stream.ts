import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';
import { hijackReply } from './fastify-hooks';

/**
 * One server-sent event: `event:` and a single `data:` line of JSON (JSON text never holds a raw
 * line break, so one data line always suffices), ended by a blank line.
 */
export function sseEvent(event: string, data: unknown): string {
  if (/[\r\n]/.test(event)) throw new Error('an SSE event name cannot hold a line break');
  return `event: ${event}\ndata: ${JSON.stringify(data) ?? 'null'}\n\n`;
}

/** A comment line: ignored by EventSource, but it keeps proxies from closing an idle stream. */
export function sseComment(text: string): string {
  return `: ${text.replace(/[\r\n]+/g, ' ')}\n\n`;
}

export const SSE_HEARTBEAT_MS = 15_000;

/**
 * A text/event-stream answer written straight to Node's response (the Fastify reply is hijacked):
 * headers at once, a heartbeat comment while the stream is quiet, and a callback when the client
 * goes away before the end.
 */
export class SseStream {
  private heartbeat: NodeJS.Timeout | undefined;
  private ended = false;

  constructor(
    private readonly raw: ServerResponse,
    private readonly heartbeatMs = SSE_HEARTBEAT_MS,
  ) {}

  /** Takes `reply` over from Fastify and opens the stream with the headers set on it so far. */
  static hijack(reply: FastifyReply): SseStream {
    hijackReply(reply);
    const sse = new SseStream(reply.raw);
    sse.open(reply.getHeaders());
    return sse;
  }

  /** Sends the headers (plus `headers`, e.g. X-Request-ID and the security headers). */
  open(headers: Record<string, string | number | string[] | undefined>): void {
    const given: Record<string, string | number | string[]> = {};
    for (const [name, value] of Object.entries(headers)) if (value !== undefined) given[name] = value;
    this.raw.writeHead(200, {
      ...given,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // nginx and similar proxies buffer responses unless told otherwise.
      'x-accel-buffering': 'no',
    });
    this.raw.flushHeaders();
    this.heartbeat = setInterval(() => this.write(sseComment('ping')), this.heartbeatMs);
    this.heartbeat.unref();
  }

  /** Calls `listener` once if the client closes the connection before `close()`. */
  onClientGone(listener: () => void): void {
    this.raw.once('close', () => {
      if (!this.ended) listener();
    });
  }

  get closed(): boolean {
    return this.ended || this.raw.destroyed || this.raw.writableEnded;
  }

  send(event: string, data: unknown): boolean {
    return this.write(sseEvent(event, data));
  }

  close(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.ended) return;
    this.ended = true;
    if (!this.raw.writableEnded) this.raw.end();
  }

  private write(chunk: string): boolean {
    if (this.closed) return false;
    this.raw.write(chunk);
    return true;
  }
}
