import { Inject, Injectable } from '@nestjs/common';
import { InjectThrottlerStorage, normalizeIp, ThrottlerStorage } from '@nestjs/throttler';
import { AppConfig, AppError } from '@app/platform';
import { MemoryThrottlerStorage } from './memory-throttler-storage.service';
import { hashedKey } from './throttle.guard';

/**
 * Credentials that were presented and are not valid: guessing API keys or
 * forging tokens. An expired or revoked token, or none at all, is an ordinary
 * client that needs to refresh or log in and costs no lookup, so it is not counted.
 */
const COUNTED_CODES = new Set(['API_KEY_INVALID', 'ACCESS_TOKEN_INVALID']);
const BLOCKED_MAX = 10_000;

/**
 * Failed authentications per client IP, in the throttle storage (shared by all
 * instances through Redis when REDIS_URL is set). Authentication runs before
 * the throttle guard counts a request, so without this a client sending bogus
 * credentials was never limited and each attempt could cost a query. Past
 * THROTTLE_AUTH_FAILURE_LIMIT failures in a window the address is blocked for
 * a window: the storage says so on its next failure, and this instance then
 * refuses the address from memory, before any authentication work.
 */
@Injectable()
export class AuthFailureLimiter {
  private readonly windowMs: number;
  private readonly limit: number;
  /** Addresses this instance knows to be blocked, with the end of the block. */
  private readonly blocked = new Map<string, number>();

  constructor(
    @InjectThrottlerStorage() private readonly storage: ThrottlerStorage,
    @Inject(AppConfig) config: AppConfig,
  ) {
    this.windowMs = config.env.THROTTLE_WINDOW_SECONDS * 1000;
    this.limit = config.env.THROTTLE_AUTH_FAILURE_LIMIT;
  }

  /**
   * Seconds the request's address is still blocked for here, 0 when it is not.
   * Takes the request, not its address: `request.ip` is computed on each read
   * (behind TRUST_PROXY, from X-Forwarded-For), and usually nothing is blocked.
   */
  blockedFor(request: { ip: string | undefined }): number {
    if (this.blocked.size === 0) return 0;
    const address = normalizeIp(request.ip ?? '');
    const until = this.blocked.get(address);
    if (until === undefined) return 0;
    const left = until - Date.now();
    if (left > 0) return Math.ceil(left / 1000);
    this.blocked.delete(address);
    return 0;
  }

  /** Whether this error is a failed authentication that counts against the address. */
  counts(err: unknown): boolean {
    return err instanceof AppError && COUNTED_CODES.has(err.code);
  }

  /**
   * Counts a failure of the address; answers the seconds it is now blocked
   * for, or 0. The failure stands whatever the storage does: when it cannot
   * count (Redis down), the caller still gets its 401, not an outage.
   */
  fail(ip: string | undefined): number | Promise<number> {
    const address = normalizeIp(ip ?? '');
    const key = hashedKey('authFailure', `ip:${address}`);
    if (this.storage instanceof MemoryThrottlerStorage) {
      return this.settle(address, this.storage.hit(key, this.windowMs, this.limit, this.windowMs));
    }
    return this.storage.increment(key, this.windowMs, this.limit, this.windowMs, 'authFailure').then(
      (record) => this.settle(address, record),
      () => 0,
    );
  }

  private settle(address: string, record: { isBlocked: boolean; timeToBlockExpire: number }): number {
    if (!record.isBlocked) return 0;
    const seconds = Math.max(1, record.timeToBlockExpire);
    if (this.blocked.size >= BLOCKED_MAX) this.blocked.clear();
    this.blocked.set(address, Date.now() + seconds * 1000);
    return seconds;
  }
}
