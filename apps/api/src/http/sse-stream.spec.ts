import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { SseStream, sseComment, sseEvent } from './sse-stream';

/** A stand-in for ServerResponse that records what is written, synchronously. */
class FakeResponse extends EventEmitter {
  status = 0;
  headers: Record<string, unknown> = {};
  destroyed = false;
  writableEnded = false;
  readonly chunks: string[] = [];

  writeHead(status: number, headers: Record<string, unknown>): this {
    this.status = status;
    this.headers = headers;
    return this;
  }

  flushHeaders(): void {}

  write(chunk: string): boolean {
    this.chunks.push(chunk);
    return true;
  }

  end(): void {
    this.writableEnded = true;
  }
}

function fakeResponse() {
  const res = new FakeResponse();
  return { res, raw: res as unknown as ServerResponse, text: () => res.chunks.join('') };
}

/** Parses a text/event-stream body the way EventSource does (event + data lines, comments skipped). */
function parse(text: string): Array<{ event: string; data: unknown }> {
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '' && !block.startsWith(':'))
    .map((block) => {
      const lines = block.split('\n');
      const event = lines.find((l) => l.startsWith('event: '))!.slice(7);
      const data = lines
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice(6))
        .join('\n');
      return { event, data: JSON.parse(data) };
    });
}

describe('sseEvent', () => {
  it('frames one event with a single data line of JSON, even when the text holds line breaks', () => {
    const frame = sseEvent('text', { delta: 'line one\nline two\r\n\nend' });
    expect(frame).toBe('event: text\ndata: {"delta":"line one\\nline two\\r\\n\\nend"}\n\n');
    expect(parse(frame)).toEqual([{ event: 'text', data: { delta: 'line one\nline two\r\n\nend' } }]);
  });

  it('refuses an event name that would break the framing', () => {
    expect(() => sseEvent('a\nb', {})).toThrow(/line break/);
  });
});

describe('sseComment', () => {
  it('is one comment line whatever the text', () => {
    expect(sseComment('ping\nevent: fake')).toBe(': ping event: fake\n\n');
  });
});

describe(SseStream.name, () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('sends the event-stream headers with the given ones, then events in order', () => {
    const { res, raw, text } = fakeResponse();
    const sse = new SseStream(raw, 1000);
    sse.open({ 'x-request-id': 'r-1' });
    expect(res.status).toBe(200);
    expect(res.headers).toMatchObject({
      'x-request-id': 'r-1',
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
    });
    sse.send('text', { delta: 'Hel' });
    sse.send('text', { delta: 'lo' });
    sse.close();
    expect(parse(text())).toEqual([
      { event: 'text', data: { delta: 'Hel' } },
      { event: 'text', data: { delta: 'lo' } },
    ]);
  });

  it('writes a heartbeat comment while the stream is open, and none after it closed', () => {
    const { raw, text } = fakeResponse();
    const sse = new SseStream(raw, 1000);
    sse.open({});
    jest.advanceTimersByTime(2500);
    sse.close();
    jest.advanceTimersByTime(5000);
    expect(text()).toBe(': ping\n\n: ping\n\n');
  });

  it('tells when the client goes away first, and not after a normal close', () => {
    const gone = fakeResponse();
    const left = jest.fn();
    const early = new SseStream(gone.raw);
    early.open({});
    early.onClientGone(left);
    gone.res.emit('close');
    expect(left).toHaveBeenCalledTimes(1);
    early.close();

    const done = fakeResponse();
    const notLeft = jest.fn();
    const normal = new SseStream(done.raw);
    normal.open({});
    normal.onClientGone(notLeft);
    normal.close();
    done.res.emit('close');
    expect(notLeft).not.toHaveBeenCalled();
  });

  it('drops events once the response has ended', () => {
    const { raw } = fakeResponse();
    const sse = new SseStream(raw);
    sse.open({});
    sse.close();
    expect(sse.send('text', { delta: 'late' })).toBe(false);
  });
});
