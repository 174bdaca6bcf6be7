import { SetMetadata } from '@nestjs/common';
import type { AppConfig } from '@app/platform';

export const RATE_LIMIT = 'throttle:rate-limit';

/** Named limits a route can opt into; every other route gets THROTTLE_DEFAULT_LIMIT. */
export type RateLimitName = 'login' | 'register' | 'aiChat' | 'backtest' | 'marketData';

/** Who shares one budget: one client IP and email, one client IP, or one user (its IP when anonymous). */
export type RateLimitScope = 'ipAndEmail' | 'ip' | 'user';

export interface RateLimitRule {
  limit: number;
  scope: RateLimitScope;
  /**
   * A second budget per client IP alone, spent by the same requests: a per-IP
   * and email budget alone lets one address try a password on every email.
   */
  ipLimit?: number;
}

/** The rule for a named limit (or the default), read from config. */
export function rateLimitRule(name: RateLimitName | 'default', config: AppConfig): RateLimitRule {
  const env = config.env;
  switch (name) {
    case 'login':
      return { limit: env.THROTTLE_LOGIN_LIMIT, scope: 'ipAndEmail', ipLimit: env.THROTTLE_LOGIN_IP_LIMIT };
    case 'register':
      return { limit: env.THROTTLE_REGISTER_LIMIT, scope: 'ip' };
    case 'aiChat':
      return { limit: env.THROTTLE_AI_CHAT_LIMIT, scope: 'user' };
    case 'backtest':
      return { limit: env.THROTTLE_BACKTEST_LIMIT, scope: 'user' };
    case 'marketData':
      return { limit: env.THROTTLE_MARKET_DATA_LIMIT, scope: 'user' };
    case 'default':
      return { limit: env.THROTTLE_DEFAULT_LIMIT, scope: 'user' };
  }
}

/**
 * Puts the route under a named limit from config instead of the default
 * per-user one; the route then has its own budget (it does not also spend the
 * default one). Probes and /metrics use `@SkipThrottle()` instead.
 */
export const RateLimit = (name: RateLimitName) => SetMetadata(RATE_LIMIT, name);
