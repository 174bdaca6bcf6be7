import { LRUCache } from 'lru-cache';
import type { CandleSeries } from '@app/engine';

const clone = (s: CandleSeries): CandleSeries => ({
  time: s.time.slice(),
  open: s.open.slice(),
  high: s.high.slice(),
  low: s.low.slice(),
  close: s.close.slice(),
  volume: s.volume.slice(),
  timeframeMs: s.timeframeMs,
});

/**
 * Candle series a worker loaded recently, keyed by instrument, data version, timeframe and
 * range: parameter sweeps and comparisons run one series many times. A new import bumps the
 * instrument's data version, so a stale series is never served. Callers get their own copy
 * (the engine pool transfers, and so detaches, the arrays it is given).
 */
export class SeriesCache {
  private readonly cache: LRUCache<string, CandleSeries>;

  constructor(maxBytes: number) {
    this.cache = new LRUCache<string, CandleSeries>({
      maxSize: Math.max(1, maxBytes),
      sizeCalculation: (s) => Math.max(1, s.time.length * 48),
    });
  }

  async get(key: string, load: () => Promise<CandleSeries>, enabled = true): Promise<CandleSeries> {
    if (!enabled) return load();
    const hit = this.cache.get(key);
    if (hit) return clone(hit);
    const loaded = await load();
    if (loaded.time.length * 48 <= this.cache.maxSize / 4) this.cache.set(key, clone(loaded));
    return loaded;
  }
}
