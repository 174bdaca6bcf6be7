import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for Anthropic's Messages API (`POST /v1/messages`) that the real SDK talks to
 * through ANTHROPIC_BASE_URL. It answers in the API's own shapes: a JSON message, or with
 * `"stream": true` the server-sent events of a streamed message (message_start,
 * content_block_start, ping, content_block_delta with text_delta / input_json_delta,
 * content_block_stop, message_delta with stop_reason and usage, message_stop); and errors as
 * `{"type":"error","error":{...}}` with the API's statuses (400, 401, 429, 500, 529) and
 * `retry-after` headers. Like the real API it checks the key, the version header, and that the
 * conversation is well formed (starts with a user turn, every tool_result answers a tool_use of
 * the assistant turn before it).
 *
 * Scripted: a test queues the replies in order (`queue`), falling back to `defaultReply`, and
 * reads back every request it received (`requests`).
 */

export type FakeContent =
  { type: 'text'; text: string } | { type: 'tool_use'; id?: string; name: string; input: unknown };

export interface FakeUsage {
  input_tokens: number;
  output_tokens: number;
}

export interface FakeMessageReply {
  kind: 'message';
  content: FakeContent[];
  /** Default: `tool_use` when a block calls a tool, else `end_turn`. */
  stopReason?: 'end_turn' | 'tool_use' | 'max_tokens' | 'stop_sequence';
  usage?: FakeUsage;
  /** Streaming: characters per text_delta (default 6). */
  chunkChars?: number;
  /** Streaming: send this many text deltas, then hold the stream open until the client leaves. */
  holdAfterDeltas?: number;
  /** Streaming: after this many text deltas, send an `event: error` of this type and end. */
  failAfterDeltas?: { deltas: number; type: 'overloaded_error' | 'api_error' };
}

export interface FakeErrorReply {
  kind: 'error';
  status: number;
  type: string;
  message?: string;
  retryAfterSeconds?: number;
  /** The SDK also honours `retry-after-ms`; tests use it to keep retries fast. */
  retryAfterMs?: number;
}

/** Never answers: the client's timeout fires. */
export interface FakeHangReply {
  kind: 'hang';
}

export type FakeReply = FakeMessageReply | FakeErrorReply | FakeHangReply;

export const reply = {
  text: (text: string, options: Omit<FakeMessageReply, 'kind' | 'content'> = {}): FakeMessageReply => ({
    kind: 'message',
    content: [{ type: 'text', text }],
    ...options,
  }),
  tool: (
    name: string,
    input: unknown,
    options: { id?: string; text?: string } & Omit<FakeMessageReply, 'kind' | 'content'> = {},
  ): FakeMessageReply => {
    const { id, text, ...rest } = options;
    return {
      kind: 'message',
      content: [...(text ? [{ type: 'text' as const, text }] : []), { type: 'tool_use', id, name, input }],
      ...rest,
    };
  },
  error: (
    status: number,
    type: string,
    options: Omit<FakeErrorReply, 'kind' | 'status' | 'type'> = {},
  ): FakeErrorReply => ({
    kind: 'error',
    status,
    type,
    ...options,
  }),
  hang: (): FakeHangReply => ({ kind: 'hang' }),
};

/** Roughly what the API body of one message looks like, as far as tests read it. */
export interface FakeMessagesBody {
  model: string;
  max_tokens: number;
  system?: string | Array<{ type: 'text'; text: string }>;
  messages: Array<{ role: 'user' | 'assistant'; content: string | Array<Record<string, any>> }>;
  tools?: Array<{ name: string; description?: string; input_schema: Record<string, unknown> }>;
  tool_choice?: { type: string };
  stream?: boolean;
}

export interface FakeRequest {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: FakeMessagesBody;
  stream: boolean;
  /** Status of the answer (200 for a message, even one that fails mid-stream). */
  status: number;
  /** The client closed the connection before the answer ended. */
  aborted: boolean;
  /** Resolves when the answer ended or the client left. */
  settled: Promise<void>;
}

const id = (prefix: string) => `${prefix}_${randomBytes(12).toString('base64url')}`;

function chunks(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out.length > 0 ? out : [''];
}

/** What the real API answers 400 for, as far as the product could get it wrong. */
function invalidConversation(body: FakeMessagesBody): string | undefined {
  if (typeof body.model !== 'string' || !Number.isInteger(body.max_tokens)) return 'model and max_tokens are required';
  if (!Array.isArray(body.messages) || body.messages.length === 0) return 'messages: at least one message is required';
  if (body.messages[0].role !== 'user') return 'messages: first message must use the "user" role';
  for (let i = 0; i < body.messages.length; i++) {
    const m = body.messages[i];
    const blocks = typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : m.content;
    if (blocks.length === 0) return `messages.${i}: content must not be empty`;
    for (const b of blocks) {
      if (b.type === 'text' && String(b.text).trim() === '')
        return `messages.${i}: text content blocks must be non-empty`;
      if (b.type === 'tool_result') {
        const prev = body.messages[i - 1];
        const calls = prev && prev.role === 'assistant' && Array.isArray(prev.content) ? prev.content : [];
        if (!calls.some((c) => c.type === 'tool_use' && c.id === b.tool_use_id)) {
          return `messages.${i}: tool_result ${b.tool_use_id} has no corresponding tool_use in the previous message`;
        }
      }
      if (b.type === 'tool_use') {
        const next = body.messages[i + 1];
        const results = next && Array.isArray(next.content) ? next.content : [];
        if (i < body.messages.length - 1 && !results.some((r) => r.type === 'tool_result' && r.tool_use_id === b.id)) {
          return `messages.${i}: tool_use ${b.id} was not followed by its tool_result`;
        }
      }
    }
  }
  return undefined;
}

export class FakeAnthropic {
  readonly requests: FakeRequest[] = [];
  /** Answer when nothing is queued. */
  defaultReply: FakeReply = reply.text('Noted.');
  private readonly replies: FakeReply[] = [];
  private readonly waiters = new Set<() => void>();

  private constructor(
    private readonly server: http.Server,
    readonly url: string,
    readonly apiKey: string,
  ) {}

  static async start(apiKey = 'sk-ant-test-key'): Promise<FakeAnthropic> {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const fake = new FakeAnthropic(server, `http://127.0.0.1:${port}`, apiKey);
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => fake.handle(req, res));
    return fake;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  queue(...replies: FakeReply[]): void {
    this.replies.push(...replies);
  }

  /** Replies queued and not yet used. */
  get queued(): number {
    return this.replies.length;
  }

  /** Forgets queued replies and received requests. */
  reset(): void {
    this.replies.length = 0;
    this.requests.length = 0;
    this.defaultReply = reply.text('Noted.');
  }

  /** Resolves once `count` requests in all have arrived. */
  async waitForRequests(count: number, timeoutMs = 10_000): Promise<void> {
    await this.until(() => this.requests.length >= count, timeoutMs, `${count} requests`);
  }

  private until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const test = () => {
        if (!check()) return;
        this.waiters.delete(test);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(test);
        reject(new Error(`fake Anthropic: timed out waiting for ${what} (have ${this.requests.length})`));
      }, timeoutMs);
      this.waiters.add(test);
      test();
    });
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      let body: FakeMessagesBody;
      try {
        body = JSON.parse(Buffer.concat(parts).toString('utf8') || '{}') as FakeMessagesBody;
      } catch {
        return this.sendError(res, 400, 'invalid_request_error', 'The body is not valid JSON.');
      }
      let settle!: () => void;
      const record: FakeRequest = {
        path: req.url ?? '',
        headers: req.headers,
        body,
        stream: body.stream === true,
        status: 0,
        aborted: false,
        settled: new Promise<void>((resolve) => (settle = resolve)),
      };
      res.on('close', () => {
        record.aborted = !res.writableFinished;
        settle();
        this.notify();
      });
      this.requests.push(record);
      this.notify();
      record.status = this.answer(req, res, record);
    });
  }

  private answer(req: http.IncomingMessage, res: http.ServerResponse, record: FakeRequest): number {
    if (req.method !== 'POST' || !record.path.startsWith('/v1/messages')) {
      return this.sendError(res, 404, 'not_found_error', `No route for ${req.method} ${record.path}.`);
    }
    const bearer = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
    if ((req.headers['x-api-key'] ?? bearer) !== this.apiKey) {
      return this.sendError(res, 401, 'authentication_error', 'invalid x-api-key');
    }
    if (req.headers['anthropic-version'] === undefined) {
      return this.sendError(res, 400, 'invalid_request_error', 'anthropic-version: header is required');
    }
    const invalid = invalidConversation(record.body);
    if (invalid) return this.sendError(res, 400, 'invalid_request_error', invalid);
    const next = this.replies.shift() ?? this.defaultReply;
    switch (next.kind) {
      case 'hang':
        return 0;
      case 'error':
        return this.sendError(res, next.status, next.type, next.message ?? next.type, next);
      case 'message':
        if (record.stream) this.stream(res, record.body, next);
        else this.json(res, record.body, next);
        return 200;
    }
  }

  private sendError(
    res: http.ServerResponse,
    status: number,
    type: string,
    message: string,
    retry: { retryAfterSeconds?: number; retryAfterMs?: number } = {},
  ): number {
    const headers: Record<string, string> = { 'content-type': 'application/json', 'request-id': id('req') };
    if (retry.retryAfterSeconds !== undefined) headers['retry-after'] = String(retry.retryAfterSeconds);
    if (retry.retryAfterMs !== undefined) headers['retry-after-ms'] = String(retry.retryAfterMs);
    if (status === 529 || status === 429 || status >= 500) headers['x-should-retry'] = 'true';
    res.writeHead(status, headers);
    res.end(JSON.stringify({ type: 'error', error: { type, message }, request_id: headers['request-id'] }));
    return status;
  }

  private message(body: FakeMessagesBody, r: FakeMessageReply) {
    const content = r.content.map((c) => (c.type === 'tool_use' ? { ...c, id: c.id ?? id('toolu') } : c));
    return {
      id: id('msg'),
      type: 'message',
      role: 'assistant',
      model: body.model,
      content,
      stop_reason: r.stopReason ?? (content.some((c) => c.type === 'tool_use') ? 'tool_use' : 'end_turn'),
      stop_sequence: null,
      usage: r.usage ?? { input_tokens: 100, output_tokens: 20 },
    };
  }

  private json(res: http.ServerResponse, body: FakeMessagesBody, r: FakeMessageReply): void {
    res.writeHead(200, { 'content-type': 'application/json', 'request-id': id('req') });
    res.end(JSON.stringify(this.message(body, r)));
  }

  private stream(res: http.ServerResponse, body: FakeMessagesBody, r: FakeMessageReply): void {
    const message = this.message(body, r);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'request-id': id('req') });
    const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    send('message_start', {
      type: 'message_start',
      message: {
        ...message,
        content: [],
        stop_reason: null,
        usage: { input_tokens: message.usage.input_tokens, output_tokens: 1 },
      },
    });
    let deltas = 0;
    for (let index = 0; index < message.content.length; index++) {
      const block = message.content[index];
      if (block.type === 'text') {
        send('content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
        if (index === 0) send('ping', { type: 'ping' });
        for (const piece of chunks(block.text, r.chunkChars ?? 6)) {
          if (r.failAfterDeltas && deltas === r.failAfterDeltas.deltas) {
            send('error', { type: 'error', error: { type: r.failAfterDeltas.type, message: 'Overloaded' } });
            res.end();
            return;
          }
          // Hold: the rest never comes; the client's disconnect ends the request.
          if (r.holdAfterDeltas !== undefined && deltas === r.holdAfterDeltas) return;
          send('content_block_delta', {
            type: 'content_block_delta',
            index,
            delta: { type: 'text_delta', text: piece },
          });
          deltas++;
        }
      } else {
        send('content_block_start', {
          type: 'content_block_start',
          index,
          content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} },
        });
        for (const piece of chunks(JSON.stringify(block.input ?? {}), 10)) {
          send('content_block_delta', {
            type: 'content_block_delta',
            index,
            delta: { type: 'input_json_delta', partial_json: piece },
          });
        }
      }
      send('content_block_stop', { type: 'content_block_stop', index });
    }
    send('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: message.stop_reason, stop_sequence: null },
      usage: { output_tokens: message.usage.output_tokens },
    });
    send('message_stop', { type: 'message_stop' });
    res.end();
  }
}
