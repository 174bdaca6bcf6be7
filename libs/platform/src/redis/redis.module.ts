import { Global, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { AppConfig } from '../config/app-config';
import { redisOptions } from '../queue/queue-connection';

/**
 * One shared ioredis client when REDIS_URL is set (health, throttling, cache);
 * `client` is undefined in the embedded mode, where those run in memory.
 */
@Injectable()
export class RedisConnection implements OnApplicationShutdown {
  readonly client?: Redis;

  constructor(@Inject(AppConfig) config: AppConfig) {
    if (config.env.REDIS_URL) {
      this.client = new Redis({
        ...redisOptions(config.env.REDIS_URL),
        lazyConnect: false,
        maxRetriesPerRequest: 1,
        enableOfflineQueue: false,
        connectTimeout: config.env.DEPENDENCY_TIMEOUT_MS,
        retryStrategy: (times) => Math.min(times * 200, 2_000),
      });
      // Errors surface through health checks and failing requests, not as crashes.
      this.client.on('error', () => undefined);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.client) await this.client.quit().catch(() => this.client?.disconnect());
  }
}

@Global()
@Module({ providers: [RedisConnection], exports: [RedisConnection] })
export class RedisModule {}
