import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { AppConfig } from '@app/platform';
import { MarketCache } from '../cache/market-cache';
import { MarketFeed } from '../feed/market-feed.service';
import { MarketInputError } from '../market.errors';
import { InstrumentRecord, InstrumentRepository } from '../store/instrument.repository';
import { MarketStore, meterChunks } from '../store/market-store';
import { MarketCostBudget, MarketReadGate } from './market-read-gate';
import { formatTimeframe, normalizeExchange, parseSymbol, timeframeMs } from '../symbols';

/** Column order of `bars` in candle responses. */
export const CANDLE_COLUMNS = ['openTime', 'open', 'high', 'low', 'close', 'volume'] as const;
/** Column order of `trades` in trade responses (side: 1 buy, -1 sell, 0 unknown; prices as stored, in decimal text). */
export const TRADE_COLUMNS = ['time', 'id', 'side', 'price', 'amount'] as const;

/** A cached read: the JSON body and its validator. */
export interface CachedBody {
  body: Buffer;
  etag: string;
}

/** Who reads: their reads are charged to their cost budget. */
export interface MarketCaller {
  id: string;
  tier: string;
}

export interface SeriesQuery {
  exchange: string;
  symbol: string;
  /** Epoch ms; optional. */
  from?: number;
  to?: number;
  limit?: number;
}

const DAY = 86_400_000;
const MAX_GAPS_LISTED = 1_000;

function num(x: number): string {
  return Number.isFinite(x) ? String(x) : 'null';
}

/**
 * The frontend's reads: instruments, candles of any timeframe (aggregated on the fly from the
 * finest stored), trades, a 24h ticker and coverage. Bodies are built once per instrument data
 * version and kept in the two-level cache; the ETag names that version, so it changes with
 * every import that adds rows.
 */
@Injectable()
export class MarketReadService {
  constructor(
    @Inject(AppConfig) private readonly config: AppConfig,
    private readonly instruments: InstrumentRepository,
    private readonly feed: MarketFeed,
    private readonly store: MarketStore,
    private readonly cache: MarketCache,
    private readonly gate: MarketReadGate,
    private readonly budget: MarketCostBudget,
  ) {}

  async listInstruments(filter: { exchange?: string; quote?: string; base?: string }): Promise<InstrumentRecord[]> {
    return this.instruments.list({
      exchange: filter.exchange ? normalizeExchange(filter.exchange) : undefined,
      quote: filter.quote?.toUpperCase(),
      base: filter.base?.toUpperCase(),
    });
  }

  private async resolve(query: SeriesQuery): Promise<InstrumentRecord> {
    const exchange = normalizeExchange(query.exchange);
    const { symbol } = parseSymbol(query.symbol);
    if (query.from !== undefined && query.to !== undefined && query.from >= query.to) {
      throw new MarketInputError([{ field: 'from', message: '`from` must be before `to`' }]);
    }
    return this.feed.instrument(exchange, symbol);
  }

  private etag(instrument: InstrumentRecord, key: string): string {
    const digest = createHash('sha1').update(key).digest('base64url').slice(0, 16);
    return `"${instrument.id.slice(0, 8)}-${instrument.dataVersion}-${digest}"`;
  }

  /**
   * The cached body for `key`, or only its ETag when the caller already has it (`ifNoneMatch`),
   * in which case nothing is computed. A miss is computed inside the read gate (a bounded share
   * of the pool) and its cost, the chunks it touched, is charged to the caller's budget.
   */
  private async cached(
    instrument: InstrumentRecord,
    key: string,
    ifNoneMatch: string | undefined,
    build: () => Promise<string>,
    caller?: MarketCaller,
  ): Promise<CachedBody | { etag: string; notModified: true }> {
    const fullKey = `${instrument.dataVersion}|${key}`;
    const etag = this.etag(instrument, fullKey);
    if (ifNoneMatch && ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === etag)) {
      return { etag, notModified: true };
    }
    const multiplier = caller?.tier === 'elite' ? this.config.env.THROTTLE_ELITE_MULTIPLIER : 1;
    const body = await this.cache.get(instrument.id, fullKey, async () => {
      if (caller) await this.budget.check(caller.id, multiplier);
      const { result, chunks } = await this.gate.run(() => meterChunks(build));
      if (caller) await this.budget.charge(caller.id, chunks);
      return Buffer.from(result);
    });
    return { body, etag };
  }

  async candles(query: SeriesQuery & { timeframe: string }, ifNoneMatch?: string, caller?: MarketCaller) {
    const instrument = await this.resolve(query);
    const tf = timeframeMs(query.timeframe);
    const limit = Math.min(query.limit ?? 1_000, this.config.env.MARKET_MAX_CANDLES);
    const source = this.feed.sourceOf(instrument, tf);
    const key = `candles|${tf}|${query.from ?? ''}|${query.to ?? ''}|${limit}`;
    return this.cached(
      instrument,
      key,
      ifNoneMatch,
      async () => {
        let series;
        let from = query.from;
        let to = query.to;
        if (from === undefined) {
          // The latest `limit` bars before `to` (or before the end of the stored data).
          if (to === undefined) {
            const last = await this.lastTime(instrument, source.kind);
            to = last === null ? 0 : last + 1;
          }
          from = Math.floor(to / tf) * tf - (limit - 1) * tf;
          series = await this.feed.candlesOf(instrument, tf, { from, to });
        } else {
          to ??= 8.64e15;
          series = await this.feed.candlesOf(instrument, tf, { from, to }, limit);
        }
        const n = Math.min(series.time.length, limit);
        const parts = new Array<string>(n);
        for (let i = 0; i < n; i++) {
          parts[i] =
            `[${series.time[i]},${num(series.open[i])},${num(series.high[i])},${num(series.low[i])},${num(series.close[i])},${num(series.volume[i])}]`;
        }
        const truncated = series.time.length > limit;
        const next = truncated ? series.time[limit] : null;
        return (
          `{"exchange":${JSON.stringify(instrument.exchange)},"symbol":${JSON.stringify(instrument.symbol)},` +
          `"timeframe":"${formatTimeframe(tf)}","source":${JSON.stringify(source.kind === 'candles' ? `candles:${formatTimeframe(source.storedMs)}` : 'trades')},` +
          `"from":${from},"to":${Math.min(to, 8.64e15)},"columns":${JSON.stringify(CANDLE_COLUMNS)},"bars":[${parts.join(',')}],` +
          `"truncated":${truncated},"next":${next}}`
        );
      },
      caller,
    );
  }

  private async lastTime(instrument: InstrumentRecord, kind: 'candles' | 'trades'): Promise<number | null> {
    return this.store.lastTime(kind, instrument.id);
  }

  async trades(query: SeriesQuery, ifNoneMatch?: string, caller?: MarketCaller) {
    const instrument = await this.resolve(query);
    const limit = Math.min(query.limit ?? 1_000, this.config.env.MARKET_MAX_CANDLES);
    const key = `trades|${query.from ?? ''}|${query.to ?? ''}|${limit}`;
    return this.cached(
      instrument,
      key,
      ifNoneMatch,
      async () => {
        const range = { from: query.from ?? 0, to: query.to ?? 8.64e15 };
        const rows = await this.store.listTrades(
          instrument.id,
          range,
          limit,
          query.from === undefined ? 'last' : 'first',
        );
        const parts = rows.map(
          (r) => `[${r.time},${JSON.stringify(r.id)},${r.side},${JSON.stringify(r.price)},${JSON.stringify(r.amount)}]`,
        );
        return (
          `{"exchange":${JSON.stringify(instrument.exchange)},"symbol":${JSON.stringify(instrument.symbol)},` +
          `"columns":${JSON.stringify(TRADE_COLUMNS)},"trades":[${parts.join(',')}],"truncated":${rows.length === limit}}`
        );
      },
      caller,
    );
  }

  /** Last price and the 24 hours of stored data that end at the newest bar or print. */
  async ticker(query: { exchange: string; symbol: string }, ifNoneMatch?: string, caller?: MarketCaller) {
    const instrument = await this.resolve(query);
    return this.cached(
      instrument,
      'ticker',
      ifNoneMatch,
      async () => {
        const kind = instrument.candleTimeframeMs !== null ? 'candles' : 'trades';
        const last = await this.lastTime(instrument, kind);
        let summary: Record<string, unknown> = { last: null };
        if (last !== null) {
          const tf = instrument.candleTimeframeMs ?? 60_000;
          const window = { from: last + tf - DAY, to: last + tf };
          const s =
            kind === 'candles'
              ? await this.store.loadCandles(instrument.id, window, tf)
              : await this.feed.candlesOf(instrument, 60_000, window);
          const n = s.time.length;
          let high = -Infinity;
          let low = Infinity;
          let volume = 0;
          for (let i = 0; i < n; i++) {
            if (s.high[i] > high) high = s.high[i];
            if (s.low[i] < low) low = s.low[i];
            volume += s.volume[i];
          }
          const open = s.open[0];
          const close = s.close[n - 1];
          summary = {
            last: close,
            open24h: open,
            change24h: close - open,
            changePct24h: ((close - open) / open) * 100,
            high24h: high,
            low24h: low,
            volume24h: volume,
            windowStart: new Date(window.from).toISOString(),
            asOf: new Date(kind === 'candles' ? last + tf : last).toISOString(),
          };
        }
        return JSON.stringify({ exchange: instrument.exchange, symbol: instrument.symbol, ...summary });
      },
      caller,
    );
  }

  /** What is stored for an instrument in a range: first/last bar, count and every gap of the candles; trades. */
  async coverage(query: SeriesQuery, ifNoneMatch?: string, caller?: MarketCaller) {
    const instrument = await this.resolve(query);
    const range = { from: query.from ?? 0, to: query.to ?? 8.64e15 };
    return this.cached(
      instrument,
      `coverage|${range.from}|${range.to}`,
      ifNoneMatch,
      async () => {
        const tf = instrument.candleTimeframeMs;
        const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
        let candles: Record<string, unknown> | null = null;
        if (tf !== null) {
          const stats = await this.store.candleStats(instrument.id, range);
          const { gaps, total, missingBars } = await this.store.candleGaps(instrument.id, range, tf, MAX_GAPS_LISTED);
          candles = {
            timeframe: formatTimeframe(tf),
            first: iso(stats.first),
            last: iso(stats.last),
            count: stats.count,
            expected: stats.first === null ? 0 : (stats.last! - stats.first) / tf + 1,
            gapCount: total,
            missingBars,
            gaps: gaps.map((g) => ({
              from: new Date(g.after + tf).toISOString(),
              to: new Date(g.before - tf).toISOString(),
              missingBars: (g.before - g.after) / tf - 1,
            })),
            gapsTruncated: total > gaps.length,
          };
        }
        const t = instrument.hasTrades ? await this.store.tradeStats(instrument.id, range) : null;
        return JSON.stringify({
          exchange: instrument.exchange,
          symbol: instrument.symbol,
          candles,
          trades: t && t.count > 0 ? { first: iso(t.first), last: iso(t.last), count: t.count } : null,
        });
      },
      caller,
    );
  }
}
