import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type { Exchange, OHLCV, Trade } from 'ccxt';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppConfig } from '@app/platform';
import {
  ExchangeRateLimitedError,
  ExchangeRejectedError,
  ExchangeUnavailableError,
  SyncExchangeUnknownError,
  SyncSymbolUnknownError,
  SyncUnsupportedError,
} from './market-sync.errors';
import { marketSyncMetrics } from './market-sync.metrics';
import { precisionDigits, rateLimitDelayMs } from './sync-plan';

type Ccxt = typeof import('ccxt');
type ExchangeClass = new (config: Record<string, unknown>) => Exchange;

/** Waits for one rate-limited request before the sync run gives up and lets the job retry later. */
const RATE_LIMIT_RETRIES = 5;
/** A longer Retry-After (an IP ban) is not waited out inside a job. */
const MAX_RATE_LIMIT_WAIT_MS = 120_000;

export interface ExchangeMarket {
  /** The exchange's own id of the market (`BTCUSDT`). */
  id: string;
  pricePrecision: number | null;
  amountPrecision: number | null;
  active: boolean | null;
}

let ccxtModule: Promise<Ccxt> | undefined;

/** ccxt is ~100 MB once loaded: only a process that actually syncs pays for it. */
function loadCcxt(): Promise<Ccxt> {
  ccxtModule ??= import('ccxt');
  return ccxtModule;
}

/**
 * Replaces the origin of every REST URL of an exchange (`https://api.binance.com/api/v3` →
 * `http://127.0.0.1:9000/api/v3`), keeping paths, so a proxy, a testnet or the tests' fake
 * exchange answers exactly the requests ccxt would send to the exchange.
 */
export function rebaseUrls<T>(urls: T, origin: string): T {
  if (typeof urls === 'string') return urls.replace(/^https?:\/\/[^/]+/i, origin) as T;
  if (urls && typeof urls === 'object' && !Array.isArray(urls)) {
    return Object.fromEntries(Object.entries(urls).map(([k, v]) => [k, rebaseUrls(v, origin)])) as T;
  }
  return urls;
}

/**
 * One ccxt instance per exchange id for the whole process: every sync of that exchange shares
 * its loaded markets and its rate limiter (`enableRateLimit`), so concurrent jobs together stay
 * inside the exchange's request budget.
 */
@Injectable()
export class ExchangeClients implements OnApplicationShutdown {
  private readonly clients = new Map<string, Promise<ExchangeClient>>();

  constructor(@Inject(AppConfig) private readonly config: AppConfig) {}

  client(exchangeId: string): Promise<ExchangeClient> {
    let client = this.clients.get(exchangeId);
    if (!client) {
      client = this.create(exchangeId);
      this.clients.set(exchangeId, client);
      client.catch(() => this.clients.delete(exchangeId));
    }
    return client;
  }

  async onApplicationShutdown(): Promise<void> {
    const clients = await Promise.allSettled(this.clients.values());
    this.clients.clear();
    for (const c of clients) if (c.status === 'fulfilled') await c.value.close();
  }

  private async create(exchangeId: string): Promise<ExchangeClient> {
    const ccxt = await loadCcxt();
    const Class = (ccxt as unknown as Record<string, unknown>)[exchangeId] as ExchangeClass | undefined;
    if (typeof Class !== 'function' || !(Class.prototype instanceof ccxt.Exchange)) {
      throw new SyncExchangeUnknownError(exchangeId);
    }
    const exchange = new Class({ enableRateLimit: true });
    // Spot markets only: futures and options listings are other endpoints (and other hosts).
    const fetchMarkets: unknown = exchange.options.fetchMarkets;
    if (Array.isArray(fetchMarkets)) exchange.options.fetchMarkets = ['spot'];
    else if (fetchMarkets && typeof fetchMarkets === 'object' && 'types' in fetchMarkets) {
      exchange.options.fetchMarkets = { ...fetchMarkets, types: ['spot'] };
    }
    exchange.options.defaultType = 'spot';
    const origin = this.config.env.MARKET_SYNC_EXCHANGE_URLS[exchangeId];
    if (origin) exchange.urls.api = rebaseUrls(exchange.urls.api, origin);
    return new ExchangeClient(exchangeId, exchange, ccxt);
  }
}

/** The calls the sync makes on one exchange, with rate-limit waits and errors in our terms. */
export class ExchangeClient {
  private readonly log: Logger;
  private readonly metrics = marketSyncMetrics();

  constructor(
    readonly id: string,
    private readonly exchange: Exchange,
    private readonly ccxt: Ccxt,
  ) {
    this.log = new Logger(`ExchangeClient:${id}`);
  }

  async market(symbol: string): Promise<ExchangeMarket> {
    // A failed load leaves ccxt holding the rejected promise: reload explicitly until markets exist.
    if (!this.exchange.markets) await this.call(() => this.exchange.loadMarkets(true));
    let market = this.exchange.markets?.[symbol] as Record<string, unknown> | undefined;
    if (!market) {
      // A market listed since the markets were loaded.
      await this.call(() => this.exchange.loadMarkets(true));
      market = this.exchange.markets?.[symbol] as Record<string, unknown> | undefined;
    }
    if (!market || market.spot === false) throw new SyncSymbolUnknownError(this.id, symbol);
    const precision = (market.precision ?? {}) as { price?: number; amount?: number };
    const mode = Number(this.exchange.precisionMode);
    return {
      id: String(market.id),
      pricePrecision: precisionDigits(precision.price, mode),
      amountPrecision: precisionDigits(precision.amount, mode),
      active: typeof market.active === 'boolean' ? market.active : null,
    };
  }

  async fetchCandles(symbol: string, timeframe: string, since: number, limit: number): Promise<OHLCV[]> {
    if (!this.exchange.has.fetchOHLCV) throw new SyncUnsupportedError(this.id, 'candles');
    if (this.exchange.timeframes && !(timeframe in this.exchange.timeframes)) {
      throw new SyncUnsupportedError(this.id, `${timeframe} candles`);
    }
    return this.call(() => this.exchange.fetchOHLCV(symbol, timeframe, since, limit));
  }

  async fetchTrades(symbol: string, since: number, limit: number): Promise<Trade[]> {
    if (!this.exchange.has.fetchTrades) throw new SyncUnsupportedError(this.id, 'trades');
    return this.call(() => this.exchange.fetchTrades(symbol, since, limit));
  }

  async close(): Promise<void> {
    await this.exchange.close().catch(() => undefined);
  }

  /** Runs one request; waits out 429/418 answers (Retry-After, else backoff) a bounded number of times. */
  private async call<T>(request: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await request();
      } catch (error) {
        if (!(error instanceof this.ccxt.RateLimitExceeded || error instanceof this.ccxt.DDoSProtection)) {
          throw this.translate(error);
        }
        // ccxt keeps the headers of the last response, which is this one: requests of one
        // exchange go out one at a time through its rate limiter.
        const retryAfter = this.exchange.last_response_headers?.['Retry-After'];
        const waitMs = rateLimitDelayMs(retryAfter, attempt, Date.now());
        if (attempt >= RATE_LIMIT_RETRIES || waitMs > MAX_RATE_LIMIT_WAIT_MS) {
          throw new ExchangeRateLimitedError(this.id, waitMs, brief(error));
        }
        this.metrics.rateLimitWaits.inc({ exchange: this.id });
        this.log.warn(`rate limited (${brief(error)}); waiting ${waitMs} ms before retry ${attempt + 1}`);
        await sleep(waitMs);
      }
    }
  }

  private translate(error: unknown): unknown {
    const c = this.ccxt;
    if (!(error instanceof c.BaseError)) return error;
    if (
      error instanceof c.BadRequest ||
      error instanceof c.AuthenticationError ||
      error instanceof c.NotSupported ||
      error instanceof c.ArgumentsRequired
    ) {
      return new ExchangeRejectedError(this.id, brief(error));
    }
    return new ExchangeUnavailableError(this.id, brief(error));
  }
}

/** ccxt messages carry the whole response body; keep the start. */
function brief(error: unknown): string {
  const text = error instanceof Error ? `${error.constructor.name}: ${error.message}` : String(error);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}
