import { Inject, Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import { AppConfig, RedisConnection, onceMetric } from '@app/platform';
import { MarketCostLimitError, MarketReadsBusyError } from '../market.errors';

const gateRejections = () =>
  onceMetric(
    'market_read_rejections_total',
    () =>
      new Counter({
        name: 'market_read_rejections_total',
        help: 'Market-data reads refused before touching the database, by reason (busy: no pool share free; cost: user budget spent)',
        labelNames: ['reason'],
      }),
  );

/**
 * Bounds what market-data reads can take from the process: at most `MARKET_READ_CONCURRENCY`
 * uncached reads hold a database connection at once (by default half the pool, so logins,
 * health checks and everything else always find one), and a read that cannot get a slot within
 * `MARKET_READ_WAIT_MS` answers 503 at once instead of queueing on the pool.
 */
@Injectable()
export class MarketReadGate {
  readonly concurrency: number;
  private readonly waitMs: number;
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly rejected = gateRejections();

  constructor(@Inject(AppConfig) config: AppConfig) {
    const env = config.env;
    this.concurrency = env.MARKET_READ_CONCURRENCY || Math.max(1, Math.floor(env.DATABASE_POOL_SIZE / 2));
    this.waitMs = env.MARKET_READ_WAIT_MS;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await work();
    } finally {
      this.release();
    }
  }

  private acquire(): Promise<void> {
    if (this.active < this.concurrency) {
      this.active++;
      return Promise.resolve();
    }
    // A queue longer than a few rounds of slots would only wait out the timeout: refuse now.
    if (this.waiting.length >= this.concurrency * 4) return Promise.reject(this.busy());
    return new Promise<void>((resolve, reject) => {
      const grant = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        const i = this.waiting.indexOf(grant);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(this.busy());
      }, this.waitMs);
      this.waiting.push(grant);
    });
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next)
      next(); // the slot passes straight to the next waiter
    else this.active--;
  }

  private busy(): MarketReadsBusyError {
    this.rejected.inc({ reason: 'busy' });
    return new MarketReadsBusyError(this.concurrency);
  }

  /** Reads holding a slot now (for tests and /health/detailed). */
  get inUse(): number {
    return this.active;
  }
}

/**
 * Each user's market reads are charged by cost, not only counted: the cost of a read is the
 * number of stored chunks (summary or packed rows) it touched. A fixed window per user, kept in
 * Redis when configured (every API instance shares it), else in process memory. A user whose
 * window is spent gets 429 `MARKET_COST_LIMITED` before the next read touches anything.
 */
@Injectable()
export class MarketCostBudget {
  readonly budget: number;
  private readonly windowMs: number;
  private readonly local = new Map<string, { spent: number; resetAt: number }>();
  private readonly rejected = gateRejections();

  constructor(
    @Inject(AppConfig) config: AppConfig,
    private readonly redis: RedisConnection,
  ) {
    this.budget = config.env.MARKET_READ_COST_BUDGET;
    this.windowMs = config.env.MARKET_READ_COST_WINDOW_SECONDS * 1000;
  }

  private key(userId: string): string {
    return `market:cost:{${userId}}`;
  }

  /** 429 when the user's window is already spent. */
  async check(userId: string, multiplier = 1): Promise<void> {
    const budget = this.budget * multiplier;
    const { spent, resetInMs } = await this.read(userId);
    if (spent >= budget) {
      this.rejected.inc({ reason: 'cost' });
      throw new MarketCostLimitError(budget, spent, Math.max(1, Math.ceil(resetInMs / 1000)));
    }
  }

  /** Adds a finished read's cost to the user's window. */
  async charge(userId: string, cost: number): Promise<void> {
    if (cost <= 0) return;
    const client = this.redis.client;
    if (client) {
      const key = this.key(userId);
      await client
        .multi()
        .incrby(key, cost)
        .pexpire(key, this.windowMs, 'NX')
        .exec()
        .catch(() => undefined);
      return;
    }
    const now = Date.now();
    const entry = this.local.get(userId);
    if (!entry || entry.resetAt <= now) this.local.set(userId, { spent: cost, resetAt: now + this.windowMs });
    else entry.spent += cost;
  }

  private async read(userId: string): Promise<{ spent: number; resetInMs: number }> {
    const client = this.redis.client;
    if (client) {
      const key = this.key(userId);
      const [[, spent], [, ttl]] = ((await client
        .multi()
        .get(key)
        .pttl(key)
        .exec()
        .catch(() => null)) ?? [
        [null, null],
        [null, -1],
      ]) as [[unknown, string | null], [unknown, number]];
      return { spent: Number(spent ?? 0), resetInMs: ttl > 0 ? ttl : this.windowMs };
    }
    const entry = this.local.get(userId);
    const now = Date.now();
    if (!entry || entry.resetAt <= now) return { spent: 0, resetInMs: this.windowMs };
    return { spent: entry.spent, resetInMs: entry.resetAt - now };
  }
}
