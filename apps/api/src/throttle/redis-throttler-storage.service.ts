import { createHash } from 'node:crypto';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { Redis } from 'ioredis';
import { DependencyUnavailableError } from '@app/platform';

/**
 * Fixed window counter plus a block key, in one atomic step so that API
 * instances sharing the Redis never admit more than `limit` between them.
 * Crossing the limit sets the block for `blockDuration` and drops the counter,
 * so the window starts afresh once the block ends.
 * KEYS: counter, block. ARGV: ttl ms, limit, block ms. Returns hits, ttl ms, blocked, block ms.
 */
const INCREMENT = `
local blocked = redis.call('PTTL', KEYS[2])
if blocked > 0 then
  return {tonumber(ARGV[2]) + 1, blocked, 1, blocked}
end
local hits = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
if hits > tonumber(ARGV[2]) then
  local block = tonumber(ARGV[3])
  if block > 0 then
    redis.call('SET', KEYS[2], '1', 'PX', block)
    redis.call('DEL', KEYS[1])
    return {hits, ttl, 1, block}
  end
  return {hits, ttl, 1, ttl}
end
return {hits, ttl, 0, 0}
`;
type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

const INCREMENT_SHA = createHash('sha1').update(INCREMENT).digest('hex');

/** Throttler storage shared by every API instance on one Redis; keys live under `<prefix>:throttle:`. */
export class RedisThrottlerStorage implements ThrottlerStorage {
  constructor(
    private readonly client: Redis,
    private readonly prefix: string,
  ) {}

  async increment(key: string, ttl: number, limit: number, blockDuration: number): Promise<ThrottlerStorageRecord> {
    // The hash tag keeps both keys in one slot on a Redis Cluster.
    const base = `${this.prefix}:throttle:{${key}}`;
    const args = [2, base, `${base}:blocked`, ttl, limit, blockDuration] as const;
    let reply: unknown;
    try {
      reply = await this.client.evalsha(INCREMENT_SHA, ...args).catch((err: unknown) => {
        if (err instanceof Error && err.message.startsWith('NOSCRIPT')) return this.client.eval(INCREMENT, ...args);
        throw err;
      });
    } catch (err) {
      throw new DependencyUnavailableError('Redis', err);
    }
    const [totalHits, ttlMs, blocked, blockMs] = reply as [number, number, number, number];
    return {
      totalHits,
      timeToExpire: Math.ceil(ttlMs / 1000),
      isBlocked: blocked === 1,
      timeToBlockExpire: Math.ceil(blockMs / 1000),
    };
  }
}
