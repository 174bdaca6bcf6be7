import type { ThrottlerStorage } from '@nestjs/throttler';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

interface Window {
  hits: number;
  expiresAt: number;
  blockedUntil: number;
}

const seconds = (ms: number) => Math.max(0, Math.ceil(ms / 1000));

/**
 * In-process counterpart of RedisThrottlerStorage with the same fixed-window
 * semantics. The package's default storage keeps one timestamp per hit and
 * scans them on every request, which grows with the limit (1000/min for
 * market data); this is O(1) per request.
 */
export class MemoryThrottlerStorage implements ThrottlerStorage {
  private readonly windows = new Map<string, Window>();
  private nextSweepAt = 0;

  constructor(private readonly now: () => number = Date.now) {}

  increment(key: string, ttl: number, limit: number, blockDuration: number): Promise<ThrottlerStorageRecord> {
    return Promise.resolve(this.hit(key, ttl, limit, blockDuration));
  }

  /** `increment` without the promise: the guard calls this directly when the storage is in memory. */
  hit(key: string, ttl: number, limit: number, blockDuration: number): ThrottlerStorageRecord {
    const now = this.now();
    this.sweep(now, ttl);
    let window = this.windows.get(key);
    if (window && window.blockedUntil > now) {
      const left = seconds(window.blockedUntil - now);
      return { totalHits: limit + 1, timeToExpire: left, isBlocked: true, timeToBlockExpire: left };
    }
    if (!window || window.expiresAt <= now) {
      window = { hits: 0, expiresAt: now + ttl, blockedUntil: 0 };
      this.windows.set(key, window);
    }
    window.hits += 1;
    const totalHits = window.hits;
    if (totalHits <= limit) {
      return { totalHits, timeToExpire: seconds(window.expiresAt - now), isBlocked: false, timeToBlockExpire: 0 };
    }
    if (blockDuration > 0) {
      // The window restarts when the block ends, as in the Redis script.
      window.blockedUntil = now + blockDuration;
      window.expiresAt = window.blockedUntil;
      window.hits = 0;
    }
    const left = seconds(Math.max(window.blockedUntil, window.expiresAt) - now);
    return { totalHits, timeToExpire: left, isBlocked: true, timeToBlockExpire: left };
  }

  /** Drops finished windows at most once per window length, so idle keys do not pile up. */
  private sweep(now: number, ttl: number): void {
    if (now < this.nextSweepAt) return;
    this.nextSweepAt = now + ttl;
    for (const [key, window] of this.windows) {
      if (window.expiresAt <= now && window.blockedUntil <= now) this.windows.delete(key);
    }
  }

  /** Keys currently held (for tests). */
  get size(): number {
    return this.windows.size;
  }
}
