import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import { Counter } from 'prom-client';
import { AppConfig, RedisConnection, onceMetric } from '@app/platform';

export const INVALIDATION_CHANNEL = 'market:invalidate';

const cacheRequests = () =>
  onceMetric(
    'market_cache_requests_total',
    () =>
      new Counter({
        name: 'market_cache_requests_total',
        help: 'Market-data read cache lookups by level (l1 in-process, l2 Redis) and result (hit, miss)',
        labelNames: ['level', 'result'],
      }),
  );

/**
 * The two-level read cache of market data (docs/market-data.md): an in-process LRU in front of Redis.
 *
 * Keys carry the instrument's `data_version`, which the importing transaction bumps and every
 * read takes from the row it resolves the instrument with, so a request can never be answered
 * from bars older than the latest committed import, on any node, even before the invalidation
 * message arrives. The message (Redis pub/sub) frees the old versions' L1 entries on every node
 * at once; old L2 entries expire by TTL.
 */
@Injectable()
export class MarketCache implements OnModuleInit, OnApplicationShutdown {
  private readonly log = new Logger(MarketCache.name);
  private readonly l1: LRUCache<string, Buffer>;
  private readonly redis?: Redis;
  private subscriber?: Redis;
  private readonly ttlSeconds: number;
  private readonly counter = cacheRequests();

  constructor(@Inject(AppConfig) config: AppConfig, connection: RedisConnection) {
    this.l1 = new LRUCache<string, Buffer>({
      maxSize: config.env.MARKET_CACHE_L1_BYTES,
      sizeCalculation: (value, key) => value.length + key.length,
      ttl: config.env.MARKET_CACHE_TTL_SECONDS * 1000,
    });
    this.redis = connection.client;
    this.ttlSeconds = config.env.MARKET_CACHE_TTL_SECONDS;
  }

  async onModuleInit(): Promise<void> {
    if (!this.redis) return;
    this.subscriber = this.redis.duplicate({ enableOfflineQueue: true, lazyConnect: false });
    this.subscriber.on('error', () => undefined);
    this.subscriber.on('message', (_channel: string, instrumentId: string) => this.dropLocal(instrumentId));
    // After a reconnect, messages sent meanwhile are lost: drop everything rather than keep stale versions around.
    this.subscriber.on('ready', () => this.l1.clear());
    await this.subscriber.subscribe(INVALIDATION_CHANNEL).catch((error: Error) => {
      this.log.warn(`market cache invalidation channel unavailable: ${error.message}`);
    });
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.subscriber) await this.subscriber.quit().catch(() => this.subscriber?.disconnect());
  }

  /** The cached bytes for `key` of `instrumentId`, computing and storing them on a miss in both levels. */
  async get(instrumentId: string, key: string, compute: () => Promise<Buffer>): Promise<Buffer> {
    const full = `${instrumentId}|${key}`;
    const local = this.l1.get(full);
    if (local) {
      this.counter.inc({ level: 'l1', result: 'hit' });
      return local;
    }
    this.counter.inc({ level: 'l1', result: 'miss' });
    if (this.redis) {
      const remote = await this.redis.getBuffer(`market:cache:${full}`).catch(() => null);
      if (remote) {
        this.counter.inc({ level: 'l2', result: 'hit' });
        this.l1.set(full, remote);
        return remote;
      }
      this.counter.inc({ level: 'l2', result: 'miss' });
    }
    const value = await compute();
    this.l1.set(full, value);
    if (this.redis) {
      await this.redis.set(`market:cache:${full}`, value, 'EX', this.ttlSeconds).catch(() => undefined);
    }
    return value;
  }

  /** Says on every node that the instrument's data changed (call after the commit). */
  async invalidate(instrumentId: string): Promise<void> {
    this.dropLocal(instrumentId);
    if (this.redis) await this.redis.publish(INVALIDATION_CHANNEL, instrumentId).catch(() => undefined);
  }

  private dropLocal(instrumentId: string): void {
    const prefix = `${instrumentId}|`;
    for (const key of this.l1.keys()) if (key.startsWith(prefix)) this.l1.delete(key);
  }

  /** Entries held in process (for tests and /health/detailed). */
  get localEntries(): number {
    return this.l1.size;
  }
}
