import { Histogram, Registry } from 'prom-client';
import { SeriesHistogram } from './series-histogram';

const BUCKETS = [0.001, 0.005, 0.1, 1];
const OBSERVATIONS: Array<[Record<'method' | 'route', string>, number]> = [
  [{ method: 'GET', route: '/health' }, 0.0004],
  [{ method: 'GET', route: '/health' }, 0.001],
  [{ method: 'GET', route: '/health' }, 0.003],
  [{ method: 'POST', route: '/api/v1/things' }, 0.5],
  [{ method: 'POST', route: '/api/v1/things' }, 7],
  [{ method: 'GET', route: '/health' }, 0],
];

describe(SeriesHistogram.name, () => {
  it("renders what prom-client's histogram renders for the same observations", async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const fast = new SeriesHistogram(
      { name: 'request_seconds', help: 'Requests', labelNames: ['method', 'route'], buckets: BUCKETS },
      ours,
    );
    const reference = new Histogram({
      name: 'request_seconds',
      help: 'Requests',
      labelNames: ['method', 'route'],
      buckets: BUCKETS,
      registers: [theirs],
    });
    for (const [labels, value] of OBSERVATIONS) {
      fast.labels(labels).observe(value);
      reference.observe(labels, value);
    }

    const text = await ours.metrics();
    expect(text).toBe(await theirs.metrics());
    expect(text).toContain('request_seconds_bucket{le="0.001",method="GET",route="/health"} 3');
    expect(text).toContain('request_seconds_bucket{le="+Inf",method="POST",route="/api/v1/things"} 2');
    expect(text).toContain('request_seconds_count{method="POST",route="/api/v1/things"} 2');
  });

  it('hands out one series per label set', () => {
    const fast = new SeriesHistogram(
      { name: 'a_seconds', help: 'A', labelNames: ['route'], buckets: BUCKETS },
      new Registry(),
    );
    expect(fast.labels({ route: '/a' })).toBe(fast.labels({ route: '/a' }));
    expect(fast.labels({ route: '/a' })).not.toBe(fast.labels({ route: '/b' }));
  });

  it('zeroes the series it handed out on reset, which keep counting', async () => {
    const registry = new Registry();
    const fast = new SeriesHistogram(
      { name: 'b_seconds', help: 'B', labelNames: ['route'], buckets: BUCKETS },
      registry,
    );
    const series = fast.labels({ route: '/a' });
    series.observe(0.2);
    registry.resetMetrics();
    series.observe(2);

    const text = await registry.metrics();
    expect(text).toContain('b_seconds_bucket{le="1",route="/a"} 0');
    expect(text).toContain('b_seconds_count{route="/a"} 1');
    expect(text).toContain('b_seconds_sum{route="/a"} 2');
  });

  it('refuses buckets that repeat or are not finite', () => {
    const make = (buckets: number[]) =>
      new SeriesHistogram({ name: 'c_seconds', help: 'C', labelNames: [], buckets }, new Registry());
    expect(() => make([0.1, 0.1])).toThrow('buckets must be distinct finite numbers');
    expect(() => make([0.1, Infinity])).toThrow('buckets must be distinct finite numbers');
  });
});
