import { ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  normalizeIp,
  ThrottlerGuard,
  ThrottlerLimitDetail,
  ThrottlerModuleOptions,
  ThrottlerRequest,
  ThrottlerStorage,
} from '@nestjs/throttler';
import { createHash } from 'node:crypto';
import { Counter } from 'prom-client';
import { AppConfig, AppError, metricOnce } from '@app/platform';
import { AuthenticatedRequest } from '../auth/auth.decorators';
import { RATE_LIMIT, RateLimitName, rateLimitRule } from './rate-limit.decorator';

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

/**
 * Registered after the AuthGuard, so an authenticated caller is counted by user
 * id; anonymous callers by client IP (`request.ip`, which honours
 * X-Forwarded-For only from TRUST_PROXY). One budget per user and limit name,
 * shared by every route under that name.
 */
@Injectable()
export class ApiThrottlerGuard extends ThrottlerGuard {
  private readonly windowMs: number;

  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    @Inject(AppConfig) private readonly config: AppConfig,
  ) {
    super(options, storage, reflector);
    this.windowMs = config.env.THROTTLE_WINDOW_SECONDS * 1000;
    httpThrottledRequests();
  }

  protected override async handleRequest(props: ThrottlerRequest): Promise<boolean> {
    const { context } = props;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const name =
      this.reflector.getAllAndOverride<RateLimitName | undefined>(RATE_LIMIT, [
        context.getHandler(),
        context.getClass(),
      ]) ?? 'default';
    const rule = rateLimitRule(name, this.config);
    const ip = normalizeIp(request.ip);
    const principal = request.principal;
    let tracker: string;
    let limit = rule.limit;
    if (rule.scope === 'user' && principal) {
      tracker = `user:${principal.id}`;
      if (principal.tier === 'elite') limit = Math.floor(limit * this.config.env.THROTTLE_ELITE_MULTIPLIER);
    } else if (rule.scope === 'ipAndEmail') {
      const email = (request.body as { email?: unknown } | undefined)?.email;
      tracker = `ip:${ip}|email:${typeof email === 'string' ? email.trim().toLowerCase() : ''}`;
    } else {
      tracker = `ip:${ip}`;
    }
    // Hashed so that no email or address is readable in Redis keys.
    const key = `${name}:${createHash('sha256').update(tracker).digest('base64url')}`;
    return super.handleRequest({
      ...props,
      limit,
      ttl: this.windowMs,
      blockDuration: this.windowMs,
      getTracker: () => tracker,
      generateKey: () => key,
    });
  }

  protected override throwThrottlingException(context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    httpThrottledRequests().inc({ route: request.routeOptions.url ?? 'unmatched' });
    return Promise.reject(new RateLimitedError(Math.max(1, detail.timeToBlockExpire)));
  }
}
