import { ConnectionOptions, createPostgresBackend, createRedisBackend, setDefaultBackendFactory } from 'bullmq';
import { AppConfig } from '../config/app-config';

/** Schema that holds BullMQ's tables when the queue lives in PostgreSQL. */
export const QUEUE_PG_SCHEMA = 'bullmq';

/** ioredis options from a redis:// or rediss:// URL. */
export function redisOptions(url: string) {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0,
    tls: u.protocol === 'rediss:' ? {} : undefined,
  };
}

/**
 * Chooses BullMQ's backend for this process (Redis when REDIS_URL is set, else
 * PostgreSQL) and returns the connection option every Queue and Worker gets.
 * BullMQ keeps the backend factory process-wide; a process only ever uses one.
 */
export function configureQueueBackend(config: AppConfig, databaseUrl: string): ConnectionOptions {
  if (config.queueBackend === 'redis') {
    setDefaultBackendFactory(createRedisBackend);
    return { ...redisOptions(config.env.REDIS_URL!), maxRetriesPerRequest: null, enableOfflineQueue: true };
  }
  setDefaultBackendFactory(createPostgresBackend);
  // The PostgreSQL backend takes pg pool options; BullMQ's types still say Redis.
  return {
    connectionString: databaseUrl,
    schema: QUEUE_PG_SCHEMA,
    max: Math.max(4, config.env.WORKER_CONCURRENCY + 2),
    connectionTimeoutMillis: config.env.DATABASE_CONNECTION_TIMEOUT_MS,
    idleTimeoutMillis: config.env.DATABASE_IDLE_TIMEOUT_MS,
    keepAlive: true,
  };
}
