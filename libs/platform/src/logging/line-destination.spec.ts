import pino from 'pino';
import { BatchedLineDestination, LineSink } from './line-destination';

class RecordingSink implements LineSink {
  readonly chunks: string[] = [];
  flushes = 0;
  destroyed = false;
  write(chunk: string): void {
    this.chunks.push(chunk);
  }
  flushSync(): void {
    this.flushes++;
  }
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('BatchedLineDestination', () => {
  it('writes the lines of one event-loop turn as one chunk, in order, at the end of the turn', async () => {
    const sink = new RecordingSink();
    const destination = new BatchedLineDestination(sink);
    destination.write('a\n');
    destination.write('b\n');
    destination.write('c\n');
    expect(sink.chunks).toEqual([]);
    await nextTurn();
    expect(sink.chunks).toEqual(['a\nb\nc\n']);
  });

  it('writes a line logged alone in its turn by itself, in that turn', async () => {
    const sink = new RecordingSink();
    const destination = new BatchedLineDestination(sink);
    destination.write('a\n');
    await nextTurn();
    destination.write('b\n');
    await nextTurn();
    expect(sink.chunks).toEqual(['a\n', 'b\n']);
  });

  it('hands what is pending over at once on flushSync', () => {
    const sink = new RecordingSink();
    const destination = new BatchedLineDestination(sink);
    destination.write('a\n');
    destination.flushSync();
    expect(sink.chunks).toEqual(['a\n']);
    expect(sink.flushes).toBe(1);
  });

  it('drops lines, without throwing, once the stream has been ended', async () => {
    const sink = new RecordingSink();
    const destination = new BatchedLineDestination(sink);
    sink.destroyed = true;
    destination.write('late\n');
    await nextTurn();
    expect(() => destination.flushSync()).not.toThrow();
    expect(sink.chunks).toEqual([]);
    expect(sink.flushes).toBe(0);
  });

  it('serves as a pino destination: every line arrives whole', async () => {
    const sink = new RecordingSink();
    const logger = pino({ base: undefined }, new BatchedLineDestination(sink));
    for (let i = 0; i < 100; i++) logger.info({ i }, 'line');
    await nextTurn();
    expect(sink.chunks).toHaveLength(1);
    const lines = sink.chunks[0]
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { i: number; msg: string });
    expect(lines.map((l) => l.i)).toEqual([...Array(100).keys()]);
  });
});
