import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { AppConfig, RedisConnection } from '@app/platform';
import { SessionRepository } from './session.repository';
import { ACCESS_TOKEN_TTL_SECONDS } from './token.service';

const STATES_MAX = 50_000;

interface SessionState {
  live: boolean;
  until: number;
  /** From here on a request reads the state again in the background, so a busy session never waits for it. */
  refreshAt: number;
}

/**
 * Whether the session an access token names is still live, answered from
 * memory on the request path. The truth is the session's refresh-token rows in
 * PostgreSQL, so a restart or a new instance knows every revocation. A "live"
 * answer is trusted for AUTH_SESSION_CACHE_SECONDS, and a request in its last
 * fifth reads it again in the background, so a busy session never makes a
 * request wait for the database. A revocation made here
 * applies at once and is published on Redis (when REDIS_URL is set), so other
 * instances drop the session within a message's latency rather than the TTL.
 * A revoked session stays revoked, so that answer is kept until every access
 * token it could have issued has expired.
 */
@Injectable()
export class SessionStateService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(SessionStateService.name);
  private readonly states = new Map<string, SessionState>();
  /** Lookups in flight, so a burst of requests on a cold session makes one query. */
  private readonly loading = new Map<string, Promise<boolean>>();
  private readonly liveMs: number;
  private readonly channel: string;
  private subscriber?: Redis;

  constructor(
    private readonly sessions: SessionRepository,
    @Inject(AppConfig) private readonly config: AppConfig,
    private readonly redis: RedisConnection,
  ) {
    this.liveMs = config.env.AUTH_SESSION_CACHE_SECONDS * 1000;
    this.channel = `${config.env.QUEUE_PREFIX ?? 'quant'}:auth:sessions-revoked`;
  }

  async onModuleInit(): Promise<void> {
    const client = this.redis.client;
    if (!client) return;
    // A subscribed connection can do nothing else, so it is a connection of its own.
    const subscriber = client.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null });
    subscriber.on('error', () => undefined);
    subscriber.on('message', (_channel: string, message: string) => {
      for (const id of message.split(',')) if (id) this.markRevoked(id);
    });
    this.subscriber = subscriber;
    // Without Redis at start the cache TTL still bounds how long a revoked session works here;
    // ioredis subscribes once it connects.
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, this.config.env.DEPENDENCY_TIMEOUT_MS).unref());
    await Promise.race([
      subscriber.subscribe(this.channel).catch((err: unknown) => {
        this.logger.warn(`session revocations are not subscribed yet: ${String(err)}`);
      }),
      timeout,
    ]);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.subscriber) await this.subscriber.quit().catch(() => this.subscriber?.disconnect());
  }

  /** The remembered answer: true live, false revoked, undefined when it must be read. */
  cached(sessionId: string): boolean | undefined {
    const state = this.states.get(sessionId);
    if (state === undefined) return undefined;
    const now = Date.now();
    if (state.until <= now) return undefined;
    if (now >= state.refreshAt && state.live && !this.loading.has(sessionId)) {
      // A failed read leaves the entry to expire; the next request then reads it (and reports the failure).
      this.load(sessionId).catch(() => undefined);
    }
    return state.live;
  }

  /** Reads the session's state from PostgreSQL and remembers it. */
  load(sessionId: string): Promise<boolean> {
    let pending = this.loading.get(sessionId);
    if (!pending) {
      pending = this.sessions.isLive(sessionId).then(
        (live) => {
          this.loading.delete(sessionId);
          // A revocation that arrived while the query ran wins over its older answer.
          if (this.states.get(sessionId)?.live === false) return false;
          this.remember(sessionId, live);
          return live;
        },
        (err: unknown) => {
          this.loading.delete(sessionId);
          throw err;
        },
      );
      this.loading.set(sessionId, pending);
    }
    return pending;
  }

  /**
   * Call after the sessions were revoked in PostgreSQL: they stop working here
   * at once and on the other instances when the message arrives. A failed
   * publish is logged, not thrown: the revocation is stored, and the other
   * instances read it when their cached answer expires.
   */
  async revoked(sessionIds: readonly string[]): Promise<void> {
    if (sessionIds.length === 0) return;
    for (const id of sessionIds) this.markRevoked(id);
    const client = this.redis.client;
    if (!client) return;
    try {
      await client.publish(this.channel, sessionIds.join(','));
    } catch (err) {
      this.logger.warn(`could not publish ${sessionIds.length} session revocation(s): ${String(err)}`);
    }
  }

  private markRevoked(sessionId: string): void {
    this.remember(sessionId, false);
  }

  private remember(sessionId: string, live: boolean): void {
    if (this.states.size >= STATES_MAX) this.states.clear();
    const now = Date.now();
    const until = now + (live ? this.liveMs : ACCESS_TOKEN_TTL_SECONDS * 1000);
    this.states.set(sessionId, { live, until, refreshAt: now + (live ? this.liveMs * 0.8 : Infinity) });
  }
}
