import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { InjectThrottlerStorage, normalizeIp, ThrottlerStorage } from '@nestjs/throttler';
import type { FastifyReply } from 'fastify';
import { createHash } from 'node:crypto';
import { Counter } from 'prom-client';
import { AppConfig, AppError, metricOnce } from '@app/platform';
import { AuthenticatedRequest } from '../auth/auth.decorators';
import { MemoryThrottlerStorage } from './memory-throttler-storage.service';
import { RATE_LIMIT, RateLimitName, RateLimitRule, rateLimitRule } from './rate-limit.decorator';

export const httpThrottledRequests = () =>
  metricOnce(
    'http_throttled_requests_total',
    () =>
      new Counter({
        name: 'http_throttled_requests_total',
        help: 'Requests answered 429 by the rate limiter, by route template',
        labelNames: ['route'],
      }),
  );

export class RateLimitedError extends AppError {
  constructor(retryAfterSeconds: number) {
    super('RATE_LIMITED', 'rate_limited', 'Too many requests; try again later.', { retryAfterSeconds });
  }
}

/** What `@SkipThrottle()` sets for the one ('default') throttler: the package does not export the key. */
export const SKIP_THROTTLE_METADATA = 'THROTTLER:SKIPdefault';

interface RouteLimit {
  name: RateLimitName | 'default';
  rule: RateLimitRule;
}

const USER_KEYS_MAX = 10_000;

type ThrottlerRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/**
 * Registered after the AuthGuard, so an authenticated caller is counted by user
 * id; anonymous callers by client IP (`request.ip`, which honours
 * X-Forwarded-For only from TRUST_PROXY). One budget per user and limit name,
 * shared by every route under that name. Honours `@SkipThrottle()`.
 *
 * The package's ThrottlerGuard re-read five metadata keys and awaited about ten
 * promises on every request; here a route's limit is resolved once, and the
 * in-memory storage answers without a promise.
 */
@Injectable()
export class ApiThrottlerGuard implements CanActivate {
  private readonly windowMs: number;
  private readonly routes = new WeakMap<object, RouteLimit | null>();
  /** Hashed keys of recent users (the hash is per user and limit name, so it is computed once). */
  private readonly userKeys = new Map<string, string>();

  constructor(
    @InjectThrottlerStorage() private readonly storage: ThrottlerStorage,
    private readonly reflector: Reflector,
    @Inject(AppConfig) private readonly config: AppConfig,
  ) {
    this.windowMs = config.env.THROTTLE_WINDOW_SECONDS * 1000;
    httpThrottledRequests();
  }

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const route = this.route(context);
    if (!route) return true;
    const http = context.switchToHttp();
    const request = http.getRequest<AuthenticatedRequest>();
    const reply = http.getResponse<FastifyReply>();
    const { key, limit } = this.budget(route, request);
    const ipLimit = route.rule.ipLimit;
    if (ipLimit === undefined) return this.spend(key, limit, route.name, request, reply);
    // The address's own budget first: once it is spent, the per-email budgets are not touched.
    const ipKey = hashedKey(`${route.name}Ip`, `ip:${normalizeIp(request.ip)}`);
    const perIp = this.spend(ipKey, ipLimit, route.name, request, reply);
    if (perIp instanceof Promise) return perIp.then(() => this.spend(key, limit, route.name, request, reply));
    return this.spend(key, limit, route.name, request, reply);
  }

  /** Counts one request against a budget; admits it or throws RATE_LIMITED. */
  private spend(
    key: string,
    limit: number,
    name: string,
    request: AuthenticatedRequest,
    reply: FastifyReply,
  ): true | Promise<true> {
    const record =
      this.storage instanceof MemoryThrottlerStorage
        ? this.storage.hit(key, this.windowMs, limit, this.windowMs)
        : this.storage.increment(key, this.windowMs, limit, this.windowMs, name);
    if (record instanceof Promise) return record.then((r) => settle(r, limit, request, reply));
    return settle(record, limit, request, reply);
  }

  private route(context: ExecutionContext): RouteLimit | null {
    const handler = context.getHandler();
    let route = this.routes.get(handler);
    if (route === undefined) {
      const targets = [handler, context.getClass()];
      if (this.reflector.getAllAndOverride<boolean | undefined>(SKIP_THROTTLE_METADATA, targets)) {
        route = null;
      } else {
        const name = this.reflector.getAllAndOverride<RateLimitName | undefined>(RATE_LIMIT, targets) ?? 'default';
        route = { name, rule: rateLimitRule(name, this.config) };
      }
      this.routes.set(handler, route);
    }
    return route;
  }

  /** The storage key and limit of this caller on this route. */
  private budget(route: RouteLimit, request: AuthenticatedRequest): { key: string; limit: number } {
    const { rule, name } = route;
    const principal = request.principal;
    if (rule.scope === 'user' && principal) {
      const limit =
        principal.tier === 'elite' ? Math.floor(rule.limit * this.config.env.THROTTLE_ELITE_MULTIPLIER) : rule.limit;
      let key = this.userKeys.get(`${name}:${principal.id}`);
      if (!key) {
        key = hashedKey(name, `user:${principal.id}`);
        if (this.userKeys.size >= USER_KEYS_MAX) this.userKeys.clear();
        this.userKeys.set(`${name}:${principal.id}`, key);
      }
      return { key, limit };
    }
    const ip = normalizeIp(request.ip);
    let tracker = `ip:${ip}`;
    if (rule.scope === 'ipAndEmail') {
      const email = (request.body as { email?: unknown } | undefined)?.email;
      tracker += `|email:${typeof email === 'string' ? email.trim().toLowerCase() : ''}`;
    }
    return { key: hashedKey(name, tracker), limit: rule.limit };
  }
}

/** Hashed so that no user, email or address is readable in Redis keys. */
export function hashedKey(name: string, tracker: string): string {
  return `${name}:${createHash('sha256').update(tracker).digest('base64url')}`;
}

/** The 429 for a blocked caller: Retry-After set and the refusal counted by route. */
export function rateLimited(seconds: number, request: AuthenticatedRequest, reply: FastifyReply): RateLimitedError {
  const retryAfter = Math.max(1, seconds);
  void reply.header('Retry-After', retryAfter);
  httpThrottledRequests().inc({ route: request.routeOptions.url ?? 'unmatched' });
  return new RateLimitedError(retryAfter);
}

/** Lets the request through with the X-RateLimit headers, or answers 429 with Retry-After. */
function settle(record: ThrottlerRecord, limit: number, request: AuthenticatedRequest, reply: FastifyReply): true {
  if (record.isBlocked) throw rateLimited(record.timeToBlockExpire, request, reply);
  void reply.header('X-RateLimit-Limit', limit);
  void reply.header('X-RateLimit-Remaining', Math.max(0, limit - record.totalHits));
  void reply.header('X-RateLimit-Reset', record.timeToExpire);
  return true;
}
