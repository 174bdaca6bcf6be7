import { Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { AppConfig, RedisConnection } from '@app/platform';
import { AuthFailureLimiter } from './auth-failure-limiter.service';
import { MemoryThrottlerStorage } from './memory-throttler-storage.service';
import { RedisThrottlerStorage } from './redis-throttler-storage.service';

/**
 * Rate-limit budgets in Redis when REDIS_URL is set (one budget across all API
 * instances), in process memory otherwise. The limits themselves are chosen per
 * request by ApiThrottlerGuard; the throttler here only carries the storage (and a default the guard does not read).
 */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [AppConfig, RedisConnection],
      useFactory: (config: AppConfig, redis: RedisConnection) => ({
        throttlers: [
          { name: 'default', ttl: config.env.THROTTLE_WINDOW_SECONDS * 1000, limit: config.env.THROTTLE_DEFAULT_LIMIT },
        ],
        storage: redis.client
          ? new RedisThrottlerStorage(redis.client, config.env.QUEUE_PREFIX ?? 'quant')
          : new MemoryThrottlerStorage(),
      }),
    }),
  ],
  providers: [AuthFailureLimiter],
  exports: [ThrottlerModule, AuthFailureLimiter],
})
export class ThrottleModule {}
