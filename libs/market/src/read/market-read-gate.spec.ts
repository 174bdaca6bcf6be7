import { AppConfig } from '@app/platform';
import { MarketReadsBusyError } from '../market.errors';
import { MarketReadGate } from './market-read-gate';

const gate = (env: Record<string, number>) =>
  new MarketReadGate({
    env: { MARKET_READ_CONCURRENCY: 0, MARKET_READ_WAIT_MS: 1_000, DATABASE_POOL_SIZE: 10, ...env },
  } as unknown as AppConfig);

describe('MarketReadGate', () => {
  it('takes half the pool by default', () => {
    expect(gate({}).concurrency).toBe(5);
    expect(gate({ DATABASE_POOL_SIZE: 1 }).concurrency).toBe(1);
    expect(gate({ MARKET_READ_CONCURRENCY: 3 }).concurrency).toBe(3);
  });

  it('runs at most `concurrency` reads at once and hands a freed slot to the next waiter', async () => {
    const g = gate({ MARKET_READ_CONCURRENCY: 2 });
    let running = 0;
    let peak = 0;
    const releases: Array<() => void> = [];
    const read = () =>
      g.run(async () => {
        running++;
        peak = Math.max(peak, running);
        await new Promise<void>((r) => releases.push(r));
        running--;
      });
    const all = [read(), read(), read(), read()];
    await new Promise((r) => setImmediate(r));
    expect(running).toBe(2);
    while (releases.length > 0 || running > 0) {
      releases.shift()?.();
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(all);
    expect(peak).toBe(2);
    expect(g.inUse).toBe(0);
  });

  it('answers busy when no slot frees up in time, and at once when the queue is long', async () => {
    const g = gate({ MARKET_READ_CONCURRENCY: 1, MARKET_READ_WAIT_MS: 20 });
    let release!: () => void;
    const held = g.run(() => new Promise<void>((r) => (release = r)));
    await expect(g.run(() => Promise.resolve('late'))).rejects.toBeInstanceOf(MarketReadsBusyError);
    const queued = Array.from({ length: 4 }, () => g.run(() => Promise.resolve('queued')).catch((e: unknown) => e));
    await expect(g.run(() => Promise.resolve('one too many'))).rejects.toBeInstanceOf(MarketReadsBusyError);
    release();
    await held;
    expect(await Promise.all(queued)).toEqual(['queued', 'queued', 'queued', 'queued']);
    expect(g.inUse).toBe(0);
  });
});
