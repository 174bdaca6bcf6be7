import { MemoryThrottlerStorage } from './memory-throttler-storage.service';

describe(MemoryThrottlerStorage.name, () => {
  let clock: number;
  let storage: MemoryThrottlerStorage;

  beforeEach(() => {
    clock = 1_000_000;
    storage = new MemoryThrottlerStorage(() => clock);
  });

  const hit = (key = 'k', limit = 3, block = 60_000) => storage.increment(key, 60_000, limit, block);

  describe('increment', () => {
    it('admits the limit, then blocks for the block duration and reports the time left', async () => {
      const admitted = [await hit(), await hit(), await hit()];
      expect(admitted.map((r) => [r.totalHits, r.isBlocked])).toEqual([
        [1, false],
        [2, false],
        [3, false],
      ]);
      expect(await hit()).toMatchObject({ isBlocked: true, timeToBlockExpire: 60 });
      clock += 59_500;
      expect(await hit()).toMatchObject({ isBlocked: true, timeToBlockExpire: 1 });
    });

    it('starts a fresh window once the block has ended', async () => {
      for (let i = 0; i < 4; i++) await hit();
      clock += 60_000;
      expect(await hit()).toMatchObject({ totalHits: 1, isBlocked: false });
    });

    it('starts a fresh window after the window length without a block', async () => {
      await hit();
      await hit();
      clock += 60_000;
      expect(await hit()).toMatchObject({ totalHits: 1, isBlocked: false, timeToExpire: 60 });
    });

    it('keeps keys apart', async () => {
      for (let i = 0; i < 4; i++) await hit('a');
      expect(await hit('b')).toMatchObject({ totalHits: 1, isBlocked: false });
    });

    it('forgets finished windows', async () => {
      await hit('a');
      await hit('b');
      clock += 120_000;
      await hit('c');
      expect(storage.size).toBe(1);
    });
  });
});
