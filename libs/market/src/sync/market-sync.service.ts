import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Trade } from 'ccxt';
import { AppConfig, type Env } from '@app/platform';
import { InstrumentRecord, InstrumentRepository } from '../store/instrument.repository';
import { MarketIngest, TradeRow } from '../store/market-ingest.service';
import { formatTimeframe, normalizeExchange, parseSymbol, timeframeMs } from '../symbols';
import { ExchangeClient, ExchangeClients } from './exchange-clients.service';
import { ExchangeDataError } from './market-sync.errors';
import { marketSyncMetrics } from './market-sync.metrics';
import { MarketSyncRepository, RecordedGap, SyncProgress, SyncSeriesKey, SyncState } from './market-sync.repository';
import { closedBars, findGaps, tradeSide } from './sync-plan';

/** One series to sync: what MARKET_SYNC lists and the `market.sync` job carries. */
export type MarketSyncRequest = Env['MARKET_SYNC'][number];

export interface SyncOutcome extends SyncSeriesKey {
  /** Another run of the series was under way; this one did nothing. */
  skipped: boolean;
  barsStored: number;
  tradesStored: number;
  gapsFound: number;
  lastBarTime: number | null;
  lastTradeTime: number | null;
  /** False when the run stopped at its page budget: the next run carries on from there. */
  caughtUp: boolean;
}

/** Bars or trades asked for per request (Binance spot's maximum for both). */
const PAGE_LIMIT = 1000;
/** Requests per kind and run; a long backfill continues over several runs. */
const MAX_PAGES_PER_RUN = 500;
/** Binance answers trade requests for one hour from `since`; an empty hour is skipped, not the end. */
const TRADE_WINDOW_MS = 3_600_000;
/** Where a first sync starts when MARKET_SYNC_START is not set. */
const DEFAULT_HISTORY_MS = 30 * 86_400_000;

interface Run {
  client: ExchangeClient;
  instrument: InstrumentRecord;
  symbol: string;
  timeframe: string;
  timeframeMs: number;
  /** Clock at the start of the run: bars closed by then are stored, the open one never. */
  startedAt: number;
  progress: SyncProgress;
}

/**
 * Keeps stored series up to date from exchanges through ccxt (docs/market-data.md). A run fetches forward
 * from the last stored bar (or trade) page by page and stores every page in its own transaction,
 * so a failure keeps what was stored and the next run resumes there; stretches the exchange has
 * no bars for are recorded as gaps, never filled.
 */
@Injectable()
export class MarketSyncService {
  private readonly log = new Logger(MarketSyncService.name);
  private readonly metrics = marketSyncMetrics();

  constructor(
    @Inject(AppConfig) private readonly config: AppConfig,
    private readonly clients: ExchangeClients,
    private readonly instruments: InstrumentRepository,
    private readonly ingest: MarketIngest,
    private readonly repository: MarketSyncRepository,
  ) {}

  /** The series MARKET_SYNC lists. */
  configured(): MarketSyncRequest[] {
    return this.config.env.MARKET_SYNC;
  }

  async sync(request: MarketSyncRequest): Promise<SyncOutcome> {
    const exchange = normalizeExchange(request.exchange);
    const { symbol, base, quote } = parseSymbol(request.symbol);
    const tfMs = timeframeMs(request.timeframe);
    const key: SyncSeriesKey = { exchange, symbol, timeframe: formatTimeframe(tfMs) };
    const progress: SyncProgress = {
      instrumentId: null,
      barsStored: 0,
      tradesStored: 0,
      gapsFound: 0,
      lastBarTime: null,
      lastTradeTime: null,
    };
    const caughtUp = await this.repository.withSeriesLock(key, async () => {
      const startedAt = Date.now();
      await this.repository.startRun(key, request.trades, startedAt);
      try {
        const client = await this.clients.client(exchange);
        const market = await client.market(symbol);
        const instrument = await this.instruments.ensure({
          exchange,
          symbol,
          base,
          quote,
          pricePrecision: market.pricePrecision,
          amountPrecision: market.amountPrecision,
          metadata: { source: 'ccxt', exchangeSymbol: market.id },
        });
        progress.instrumentId = instrument.id;
        this.ingest.assertTimeframe(instrument, tfMs);
        const run: Run = {
          client,
          instrument,
          symbol,
          timeframe: key.timeframe,
          timeframeMs: tfMs,
          startedAt,
          progress,
        };
        let done = await this.syncCandles(run);
        if (request.trades) done = (await this.syncTrades(run)) && done;
        await this.repository.finishRun(key, progress, null);
        return done;
      } catch (error) {
        await this.repository
          .finishRun(key, progress, error instanceof Error ? error.message : String(error))
          .catch((e: Error) => this.log.warn(`could not record the failed run of ${symbol}: ${e.message}`));
        throw error;
      }
    });
    return { ...key, ...progress, skipped: caughtUp === null, caughtUp: caughtUp ?? false };
  }

  async state(key: SyncSeriesKey): Promise<SyncState | null> {
    return this.repository.state(key);
  }

  async gaps(instrumentId: string, limit = 1000): Promise<RecordedGap[]> {
    return this.repository.listGaps(instrumentId, limit);
  }

  private firstStart(startedAt: number): number {
    return this.config.env.MARKET_SYNC_START ?? startedAt - DEFAULT_HISTORY_MS;
  }

  private async syncCandles(run: Run): Promise<boolean> {
    const { client, instrument, timeframeMs: tf, startedAt, progress } = run;
    let previous = await this.repository.lastCandleTime(instrument.id, startedAt);
    let since = previous !== null ? previous + tf : this.firstStart(startedAt);
    for (let page = 0; since + tf <= startedAt; page++) {
      if (page === MAX_PAGES_PER_RUN) return false;
      const rows = await client.fetchCandles(run.symbol, run.timeframe, since, PAGE_LIMIT);
      const bars = closedBars(rows, since, startedAt, tf);
      if (typeof bars === 'string') throw new ExchangeDataError(client.id, run.symbol, bars);
      // Nothing closed after `since`: caught up (an exchange answers bars after a quiet stretch, not before).
      if (bars.length === 0) break;
      // Gaps first: if storing the bars fails, the next run fetches the same page and finds them again.
      const gaps = findGaps(
        previous,
        bars.map((b) => b[0]),
        tf,
      );
      const newGaps = await this.repository.recordGaps(instrument.id, tf, gaps);
      if (newGaps > 0) {
        this.metrics.gaps.inc({ exchange: client.id }, newGaps);
        this.log.warn(`${client.id} ${run.symbol}: ${newGaps} gap(s) the exchange has no bars for`);
      }
      const stored = await this.ingest.storeCandles(instrument, tf, bars);
      this.metrics.stored.inc({ exchange: client.id, kind: 'bars' }, stored.inserted);
      previous = bars[bars.length - 1][0];
      progress.barsStored += stored.inserted;
      progress.gapsFound += newGaps;
      progress.lastBarTime = previous;
      since = previous + tf;
    }
    return true;
  }

  private async syncTrades(run: Run): Promise<boolean> {
    const { client, instrument, startedAt, progress } = run;
    // From the newest stored trade itself: trades of that millisecond may not all be stored yet.
    let since = (await this.repository.lastTradeTime(instrument.id)) ?? this.firstStart(startedAt);
    // Only pages with trades count against the budget: empty hours (before a listing, a halt) are
    // cheap, and a budget spent on them would leave the next run starting at the same place.
    let pages = 0;
    while (since <= startedAt) {
      if (pages === MAX_PAGES_PER_RUN) return false;
      const trades = await client.fetchTrades(run.symbol, since, PAGE_LIMIT);
      const rows = tradeRows(trades, since, client.id, run.symbol);
      if (rows.length === 0) {
        since += TRADE_WINDOW_MS;
        continue;
      }
      pages++;
      const stored = await this.ingest.storeTrades(instrument, rows);
      this.metrics.stored.inc({ exchange: client.id, kind: 'trades' }, stored.inserted);
      const last = rows[rows.length - 1].time;
      progress.tradesStored += stored.inserted;
      progress.lastTradeTime = last;
      // A full page may end inside a millisecond: ask again from it (the repeats are duplicates,
      // ignored on insert). More than a page of trades in one millisecond cannot be paged by time.
      since = trades.length >= PAGE_LIMIT && last > since ? last : last + 1;
    }
    return true;
  }
}

/** ccxt trades at or after `since`, in time order, as stored rows. */
function tradeRows(trades: readonly Trade[], since: number, exchange: string, symbol: string): TradeRow[] {
  const rows: TradeRow[] = [];
  for (const t of trades) {
    const time = Number(t.timestamp);
    if (!Number.isSafeInteger(time)) throw new ExchangeDataError(exchange, symbol, `trade ${t.id} has no time`);
    if (time < since) continue;
    const price = Number(t.price);
    const amount = Number(t.amount);
    if (!(price > 0 && amount > 0 && Number.isFinite(price) && Number.isFinite(amount))) {
      throw new ExchangeDataError(exchange, symbol, `trade ${t.id} has price ${t.price} and amount ${t.amount}`);
    }
    // Without an exchange id, identical prints of one millisecond count once.
    const id = t.id ? String(t.id) : `${time}:${price}:${amount}:${t.side ?? ''}`;
    rows.push({ id, time, side: tradeSide(t.side), price, amount });
  }
  return rows.sort((a, b) => a.time - b.time);
}
