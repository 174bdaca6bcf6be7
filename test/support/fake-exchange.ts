import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fixturePath } from '@app/testing';

/**
 * A local stand-in for Binance's spot REST API, answering exactly the requests ccxt's `binance`
 * makes for the exchange sync (`GET /api/v3/exchangeInfo`, `/api/v3/klines`, `/api/v3/aggTrades`)
 * in Binance's own response shapes. Point ccxt at it with MARKET_SYNC_EXCHANGE_URLS.
 *
 * Every market serves 1-minute bars from its `start` up to the current, still open, bar (as
 * Binance does), with the prices and volumes of the real candles in UNITTEST_BTC-1m.json, and
 * optionally trade prints made from the real trades in XRP_ETH-trades.json. Switches make it
 * answer 429 (with Retry-After and Binance's -1003 body), fail with a 500 after some pages, or
 * leave out a stretch of bars.
 */

const MINUTE = 60_000;
const CANDLES: number[][] = JSON.parse(fs.readFileSync(fixturePath('UNITTEST_BTC-1m.json'), 'utf8'));
const TRADES: Array<[number, string, null, string, number, number, number]> = JSON.parse(
  fs.readFileSync(fixturePath('XRP_ETH-trades.json'), 'utf8'),
);

/** One bar as Binance spells it: `[openTime, open, high, low, close, volume]` with 8-decimal strings. */
export type FakeBar = [number, string, string, string, string, string];

export interface FakeTrade {
  id: number;
  time: number;
  price: string;
  amount: string;
  side: 'buy' | 'sell';
}

export interface FakeRequest {
  path: string;
  symbol?: string;
  startTime?: number;
  endTime?: number;
  limit?: number;
  status: number;
  /** Bars or trades in a 200 answer. */
  returned?: number;
  at: number;
}

interface FakeMarket {
  base: string;
  quote: string;
  /** Open time of the first bar the exchange has. */
  start: number;
  /** Open times in `[from, to)` have no bar. */
  dropped: Array<[number, number]>;
  /** Trades, oldest first; only those at or before the clock are served. */
  trades: FakeTrade[];
  rateLimited: number;
  retryAfterSeconds: number;
  /** Klines answers left before one 500; null when off. */
  failAfterPages: number | null;
}

const fixed = (n: number) => n.toFixed(8);

export class FakeExchange {
  readonly requests: FakeRequest[] = [];
  private readonly markets = new Map<string, FakeMarket>();

  private constructor(
    private readonly server: http.Server,
    readonly url: string,
  ) {}

  static async start(): Promise<FakeExchange> {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const exchange = new FakeExchange(server, `http://127.0.0.1:${port}`);
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => exchange.handle(req, res));
    return exchange;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /**
   * Lists a spot market with bars from `start`. `tradesFrom` adds trade prints: the real trades
   * shifted to begin there, each split in two aggregate trades of one millisecond (so an hour can
   * hold more than one 1000-trade page).
   */
  addMarket(symbol: string, options: { start: number; tradesFrom?: number }): void {
    const [base, quote] = symbol.split('/');
    const trades: FakeTrade[] = [];
    if (options.tradesFrom !== undefined) {
      const shift = options.tradesFrom - TRADES[0][0];
      for (const [time, , , side, price, amount] of TRADES) {
        for (const part of [0.4, 0.6]) {
          trades.push({
            id: trades.length + 1,
            time: time + shift,
            price: fixed(price),
            amount: fixed(amount * part),
            side: side as 'buy' | 'sell',
          });
        }
      }
    }
    this.markets.set(`${base}${quote}`, {
      base,
      quote,
      start: options.start,
      dropped: [],
      trades,
      rateLimited: 0,
      retryAfterSeconds: 1,
      failAfterPages: null,
    });
  }

  /** The next `count` klines requests of the market answer 429 with `Retry-After`. */
  rateLimit(symbol: string, count: number, retryAfterSeconds = 1): void {
    const m = this.market(symbol);
    m.rateLimited = count;
    m.retryAfterSeconds = retryAfterSeconds;
  }

  /** After `pages` more klines answers of the market, the next one is a 500 (once). */
  failAfter(symbol: string, pages: number): void {
    this.market(symbol).failAfterPages = pages;
  }

  /** The exchange has no bars with open times in `[from, to)`. */
  drop(symbol: string, from: number, to: number): void {
    this.market(symbol).dropped.push([from, to]);
  }

  /** The bars the exchange has in `[from, to)` (open times), as it serves them. */
  bars(symbol: string, from: number, to: number): FakeBar[] {
    const m = this.market(symbol);
    const out: FakeBar[] = [];
    const first = Math.max(m.start, Math.ceil(from / MINUTE) * MINUTE);
    for (let t = first; t < to; t += MINUTE) {
      if (m.dropped.some(([a, b]) => t >= a && t < b)) continue;
      const [, open, high, low, close, volume] = CANDLES[((t - m.start) / MINUTE) % CANDLES.length];
      out.push([t, fixed(open), fixed(high), fixed(low), fixed(close), fixed(volume)]);
    }
    return out;
  }

  /** The trades the exchange has with times in `[from, to]`. */
  trades(symbol: string, from: number, to: number): FakeTrade[] {
    return this.market(symbol).trades.filter((t) => t.time >= from && t.time <= to);
  }

  /** Requests of one path (`klines`, `aggTrades`, `exchangeInfo`) for one symbol, in arrival order. */
  requestsFor(endpoint: string, symbol?: string): FakeRequest[] {
    const id = symbol?.replace('/', '');
    return this.requests.filter((r) => r.path === `/api/v3/${endpoint}` && (id === undefined || r.symbol === id));
  }

  private market(symbol: string): FakeMarket {
    const m = this.markets.get(symbol.replace('/', ''));
    if (!m) throw new Error(`the fake exchange lists no ${symbol}`);
    return m;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    const q = url.searchParams;
    const num = (name: string) => (q.has(name) ? Number(q.get(name)) : undefined);
    const record: FakeRequest = {
      path: url.pathname,
      symbol: q.get('symbol') ?? undefined,
      startTime: num('startTime'),
      endTime: num('endTime'),
      limit: num('limit'),
      status: 200,
      at: Date.now(),
    };
    this.requests.push(record);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      if (Array.isArray(body)) record.returned = body.length;
      res.writeHead(status, { 'Content-Type': 'application/json;charset=UTF-8', ...headers });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'GET') return send(405, { code: -1000, msg: 'Unsupported method.' });
    switch (url.pathname) {
      case '/api/v3/exchangeInfo':
        return send(200, this.exchangeInfo());
      case '/api/v3/klines':
      case '/api/v3/aggTrades': {
        const m = this.markets.get(record.symbol ?? '');
        if (!m) return send(400, { code: -1121, msg: 'Invalid symbol.' });
        if (url.pathname === '/api/v3/aggTrades') return send(200, this.aggTrades(m, record));
        if (q.get('interval') !== '1m') return send(400, { code: -1120, msg: 'Invalid interval.' });
        if (m.rateLimited > 0) {
          m.rateLimited--;
          return send(
            429,
            {
              code: -1003,
              msg: 'Too many requests; current limit of IP(127.0.0.1) is 6000 requests per minute. Please use WebSocket Streams for live updates to avoid polling the API.',
            },
            { 'Retry-After': String(m.retryAfterSeconds) },
          );
        }
        if (m.failAfterPages !== null) {
          if (m.failAfterPages === 0) {
            m.failAfterPages = null;
            return send(500, { code: -1001, msg: 'Internal error; unable to process your request. Please try again.' });
          }
          m.failAfterPages--;
        }
        return send(200, this.klines(m, record));
      }
      default:
        return send(404, { code: -1000, msg: `No route for ${url.pathname}` });
    }
  }

  private klines(m: FakeMarket, r: FakeRequest): unknown[] {
    const limit = Math.min(r.limit ?? 500, 1000);
    const now = Date.now();
    const lastOpen = Math.floor(now / MINUTE) * MINUTE;
    const to = Math.min(lastOpen, r.endTime ?? Infinity) + 1;
    let bars: FakeBar[];
    if (r.startTime !== undefined) {
      bars = [];
      // Walk forward in chunks: a dropped stretch must not end the answer early.
      for (let from = r.startTime; bars.length < limit && from < to; from += limit * MINUTE) {
        bars.push(...this.bars(`${m.base}/${m.quote}`, from, Math.min(to, from + limit * MINUTE)));
      }
      bars = bars.slice(0, limit);
    } else {
      bars = this.bars(`${m.base}/${m.quote}`, to - limit * MINUTE * 2, to).slice(-limit);
    }
    return bars.map(([t, open, high, low, close, volume]) => [
      t,
      open,
      high,
      low,
      close,
      volume,
      t + MINUTE - 1,
      fixed(Number(close) * Number(volume)),
      7,
      fixed(Number(volume) / 2),
      fixed((Number(close) * Number(volume)) / 2),
      '0',
    ]);
  }

  private aggTrades(m: FakeMarket, r: FakeRequest): unknown[] {
    const limit = Math.min(r.limit ?? 500, 1000);
    const now = Date.now();
    const from = r.startTime ?? -Infinity;
    const to = Math.min(now, r.endTime ?? Infinity);
    const selected = m.trades.filter((t) => t.time >= from && t.time <= to);
    const page = r.startTime !== undefined ? selected.slice(0, limit) : selected.slice(-limit);
    return page.map((t) => ({
      a: t.id,
      p: t.price,
      q: t.amount,
      f: t.id * 3,
      l: t.id * 3 + 2,
      T: t.time,
      m: t.side === 'sell',
      M: true,
    }));
  }

  private exchangeInfo(): unknown {
    return {
      timezone: 'UTC',
      serverTime: Date.now(),
      rateLimits: [
        { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 6000 },
        { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: 100 },
        { rateLimitType: 'RAW_REQUESTS', interval: 'MINUTE', intervalNum: 5, limit: 61000 },
      ],
      exchangeFilters: [],
      symbols: [...this.markets.entries()].map(([id, m]) => ({
        symbol: id,
        status: 'TRADING',
        baseAsset: m.base,
        baseAssetPrecision: 8,
        quoteAsset: m.quote,
        quotePrecision: 8,
        quoteAssetPrecision: 8,
        baseCommissionPrecision: 8,
        quoteCommissionPrecision: 8,
        orderTypes: ['LIMIT', 'LIMIT_MAKER', 'MARKET', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT_LIMIT'],
        icebergAllowed: true,
        ocoAllowed: true,
        otoAllowed: true,
        quoteOrderQtyMarketAllowed: true,
        allowTrailingStop: true,
        cancelReplaceAllowed: true,
        isSpotTradingAllowed: true,
        isMarginTradingAllowed: false,
        filters: [
          { filterType: 'PRICE_FILTER', minPrice: '0.00000001', maxPrice: '1000.00000000', tickSize: '0.00000001' },
          { filterType: 'LOT_SIZE', minQty: '0.00100000', maxQty: '900000.00000000', stepSize: '0.00100000' },
          { filterType: 'ICEBERG_PARTS', limit: 10 },
          { filterType: 'MARKET_LOT_SIZE', minQty: '0.00000000', maxQty: '5000.00000000', stepSize: '0.00000000' },
          {
            filterType: 'TRAILING_DELTA',
            minTrailingAboveDelta: 10,
            maxTrailingAboveDelta: 2000,
            minTrailingBelowDelta: 10,
            maxTrailingBelowDelta: 2000,
          },
          {
            filterType: 'PERCENT_PRICE_BY_SIDE',
            bidMultiplierUp: '5',
            bidMultiplierDown: '0.2',
            askMultiplierUp: '5',
            askMultiplierDown: '0.2',
            avgPriceMins: 5,
          },
          {
            filterType: 'NOTIONAL',
            minNotional: '0.00010000',
            applyMinToMarket: true,
            maxNotional: '9000000.00000000',
            applyMaxToMarket: false,
            avgPriceMins: 5,
          },
          { filterType: 'MAX_NUM_ORDERS', maxNumOrders: 200 },
          { filterType: 'MAX_NUM_ALGO_ORDERS', maxNumAlgoOrders: 5 },
        ],
        permissions: [],
        permissionSets: [['SPOT', 'MARGIN']],
        defaultSelfTradePreventionMode: 'EXPIRE_MAKER',
        allowedSelfTradePreventionModes: ['EXPIRE_TAKER', 'EXPIRE_MAKER', 'EXPIRE_BOTH'],
      })),
    };
  }
}
