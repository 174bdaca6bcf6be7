import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '@app/platform';
import { InstrumentRecord, InstrumentRepository } from '../store/instrument.repository';
import { MarketIngest } from '../store/market-ingest.service';
import { MarketStore } from '../store/market-store';
import {
  DAY_MS,
  MINUTE_MS,
  SYNTHETIC_GENERATOR,
  SyntheticMarket,
  SyntheticSymbolSpec,
  candleRows,
  deriveSeed,
  generateSyntheticMarket,
  tradeRows,
} from './synthetic';

export const DEMO_EXCHANGE = 'demo';
/** Base seed of the demo data; each symbol's seed is derived from it and recorded in its metadata. */
export const DEMO_SEED = 20_240_601;
export const DEMO_SOURCE = 'seeded random walk with volatility regimes';

export interface DemoSymbol extends SyntheticSymbolSpec {
  symbol: string;
  base: string;
  quote: string;
}

/** Price levels, tick and lot sizes and activity in the range of the real markets of the same names. */
export const DEMO_SYMBOLS: readonly DemoSymbol[] = [
  {
    symbol: 'BTC/USD',
    base: 'BTC',
    quote: 'USD',
    startPrice: 42_000,
    annualDrift: 0.3,
    annualVolatility: 0.55,
    priceDecimals: 2,
    amountDecimals: 5,
    tradesPerMinute: 30,
    meanTradeSize: 0.05,
  },
  {
    symbol: 'ETH/USD',
    base: 'ETH',
    quote: 'USD',
    startPrice: 2_300,
    annualDrift: 0.25,
    annualVolatility: 0.7,
    priceDecimals: 2,
    amountDecimals: 4,
    tradesPerMinute: 24,
    meanTradeSize: 0.8,
  },
  {
    symbol: 'SOL/USD',
    base: 'SOL',
    quote: 'USD',
    startPrice: 95,
    annualDrift: 0.4,
    annualVolatility: 0.95,
    priceDecimals: 3,
    amountDecimals: 3,
    tradesPerMinute: 18,
    meanTradeSize: 12,
  },
];

/** Rows per transaction: small enough to keep memory flat and a shutdown waiting about a second at most. */
const CANDLE_CHUNK = 43_200;
const TRADE_CHUNK = 50_000;
/** Serialises seeding across processes (API pods and workers sharing one database). */
const LOCK_KEY = 'quant:market-demo-seed';

/** What the instrument's metadata records about its demo data. */
interface DemoMetadata {
  synthetic: true;
  source: string;
  generator: string;
  seed: number;
  regimeSeed: number;
  candles: { timeframe: '1m'; from: string; to: string; count: number };
  trades: { from: string; to: string; count: number };
  /** Written once the stored counts were checked against `candles.count` and `trades.count`. */
  verified?: { candles: number; trades: number };
}

export interface DemoSymbolOutcome {
  symbol: string;
  /** `complete`: already seeded, nothing generated; `foreign`: the instrument holds other data, left alone. */
  status: 'seeded' | 'complete' | 'foreign' | 'interrupted';
  candlesInserted: number;
  tradesInserted: number;
}

export interface DemoSeedReport {
  exchange: string;
  /** Exclusive end of the demo data (epoch ms); null when another process was seeding. */
  end: number | null;
  /** `busy`: another process holds the seed lock and is seeding. */
  status: 'done' | 'busy' | 'interrupted';
  symbols: DemoSymbolOutcome[];
  durationMs: number;
}

/**
 * Seeds the `demo` exchange with a year of synthetic 1m candles and three days of trade prints
 * per symbol, so a newcomer can chart and backtest at once (docs/architecture.md). Runs in the background
 * right after start-up: the API is ready at once and one line is logged when the data is.
 *
 * On by default in the embedded mode (`MARKET_DEMO_DATA=false` turns it off), on elsewhere only
 * with `MARKET_DEMO_DATA=true`; never in production, where config loading refuses that value.
 *
 * Idempotent and crash-safe: every chunk is one transaction of `INSERT … ON CONFLICT DO NOTHING`,
 * and the data is deterministic (per-symbol seed, and an end time fixed at the first seed and
 * kept in the metadata), so a start after a crash regenerates the same rows and stores only the
 * missing ones; chunks already stored in full are skipped after a count of their range. Once
 * every chunk is in, the stored counts are checked against the generated ones and the result is
 * recorded in the metadata (`verified`), so later starts skip the symbol after reading one row
 * instead of counting half a million (which takes seconds on a cold cache).
 *
 * The data ends at the start of the UTC day of the first seed, not at a fixed date: a newcomer
 * sees recent timestamps, and the data is still the same for that end on every machine.
 */
@Injectable()
export class DemoSeedService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = new Logger('DemoSeed');
  private background: Promise<DemoSeedReport | null> = Promise.resolve(null);
  private stopping = false;

  constructor(
    private readonly config: AppConfig,
    private readonly instruments: InstrumentRepository,
    private readonly ingest: MarketIngest,
    private readonly store: MarketStore,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  static enabledFor(config: AppConfig): boolean {
    if (config.isProduction) return false;
    return config.env.MARKET_DEMO_DATA ?? config.runMode === 'embedded';
  }

  onApplicationBootstrap(): void {
    if (!DemoSeedService.enabledFor(this.config)) return;
    this.background = this.seed().then(
      (report) => {
        this.logOutcome(report);
        return report;
      },
      (error: Error) => {
        this.log.error(`demo market data could not be seeded (the next start tries again): ${error.message}`);
        return null;
      },
    );
  }

  /** The outcome of the seed started with the application; null when it did not run or failed. */
  whenSeeded(): Promise<DemoSeedReport | null> {
    return this.background;
  }

  /** Lets the chunk in flight commit; the rest is stored on the next start. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await this.background;
  }

  /** Seeds every demo symbol not yet complete. */
  async seed(): Promise<DemoSeedReport> {
    const startedAt = performance.now();
    const report = (
      status: DemoSeedReport['status'],
      end: number | null,
      symbols: DemoSymbolOutcome[],
    ): DemoSeedReport => ({
      exchange: DEMO_EXCHANGE,
      end,
      status,
      symbols,
      durationMs: Math.round(performance.now() - startedAt),
    });
    const lock = this.dataSource.createQueryRunner();
    await lock.connect();
    try {
      const [{ locked }] = (await lock.query(`SELECT pg_try_advisory_lock(hashtext($1)) AS locked`, [LOCK_KEY])) as [
        { locked: boolean },
      ];
      if (!locked) return report('busy', null, []);
      try {
        const end = await this.sharedEnd();
        const symbols: DemoSymbolOutcome[] = [];
        for (const spec of DEMO_SYMBOLS) {
          if (this.stopping) break;
          symbols.push(await this.seedSymbol(spec, end));
        }
        const interrupted = symbols.length < DEMO_SYMBOLS.length || symbols.some((s) => s.status === 'interrupted');
        return report(interrupted ? 'interrupted' : 'done', end, symbols);
      } finally {
        await lock.query(`SELECT pg_advisory_unlock(hashtext($1))`, [LOCK_KEY]).catch(() => undefined);
      }
    } finally {
      await lock.release();
    }
  }

  private async seedSymbol(spec: DemoSymbol, defaultEnd: number): Promise<DemoSymbolOutcome> {
    const outcome = (status: DemoSymbolOutcome['status'], candlesInserted = 0, tradesInserted = 0) => ({
      symbol: spec.symbol,
      status,
      candlesInserted,
      tradesInserted,
    });
    const seed = deriveSeed(DEMO_SEED, spec.symbol);
    const existing = await this.instruments.find(DEMO_EXCHANGE, spec.symbol);
    const meta = existing ? demoMetadata(existing) : null;
    if (existing && (!meta || meta.generator !== SYNTHETIC_GENERATOR || meta.seed !== seed)) {
      // Never mix synthetic bars into data of another origin (or of another generator version).
      this.log.warn(`${DEMO_EXCHANGE}/${spec.symbol} holds data that is not this demo data; left as it is`);
      return outcome('foreign');
    }
    const end = meta ? Date.parse(meta.candles.to) : defaultEnd;
    const verified = meta?.verified;
    if (meta && verified && verified.candles === meta.candles.count && verified.trades === meta.trades.count) {
      return outcome('complete');
    }

    const market = generateSyntheticMarket(spec, { seed, regimeSeed: DEMO_SEED, end });
    const ensure = (metadata: Record<string, unknown>) =>
      this.instruments.ensure({
        exchange: DEMO_EXCHANGE,
        symbol: spec.symbol,
        base: spec.base,
        quote: spec.quote,
        pricePrecision: spec.priceDecimals,
        amountPrecision: spec.amountDecimals,
        metadata,
      });
    const expected = metadataFor(market, seed);
    const instrument = await ensure({ ...expected, model: modelOf(spec) });
    // Resuming: chunks already stored in full are skipped after a count of their range.
    const resuming = existing !== null;
    const { time } = market;
    let candles = 0;
    for (let i = 0; i < time.length; i += CANDLE_CHUNK) {
      if (this.stopping) return outcome('interrupted', candles);
      const j = Math.min(time.length, i + CANDLE_CHUNK);
      const range = { from: time[i], to: time[j - 1] + MINUTE_MS };
      if (resuming && (await this.store.candleStats(instrument.id, range)).count === j - i) continue;
      candles += (await this.ingest.storeCandles(instrument, MINUTE_MS, candleRows(market, i, j))).inserted;
    }
    let trades = 0;
    const tradeTime = market.trades.time;
    for (let k = 0; k < tradeTime.length; k += TRADE_CHUNK) {
      if (this.stopping) return outcome('interrupted', candles, trades);
      const j = Math.min(tradeTime.length, k + TRADE_CHUNK);
      // Prints sharing a millisecond across a chunk border make the count differ: that chunk is rewritten.
      const range = { from: tradeTime[k], to: tradeTime[j - 1] + 1 };
      if (resuming && (await this.store.tradeStats(instrument.id, range)).count === j - k) continue;
      trades += (await this.ingest.storeTrades(instrument, tradeRows(market, k, j))).inserted;
    }
    const stored = await this.storedCounts(instrument, expected);
    if (stored.candles !== expected.candles.count || stored.trades !== expected.trades.count) {
      throw new Error(
        `${DEMO_EXCHANGE}/${spec.symbol} holds ${stored.candles} candles and ${stored.trades} trades after seeding, ` +
          `expected ${expected.candles.count} and ${expected.trades.count}`,
      );
    }
    await ensure({ verified: stored });
    return outcome('seeded', candles, trades);
  }

  private async storedCounts(
    instrument: InstrumentRecord,
    meta: DemoMetadata,
  ): Promise<{ candles: number; trades: number }> {
    const end = Date.parse(meta.candles.to);
    const candles = await this.store.candleStats(instrument.id, { from: Date.parse(meta.candles.from), to: end });
    const trades = await this.store.tradeStats(instrument.id, { from: Date.parse(meta.trades.from), to: end });
    return { candles: candles.count, trades: trades.count };
  }

  /** The end recorded by an earlier (maybe interrupted) seed, so all symbols share it; else today 00:00 UTC. */
  private async sharedEnd(): Promise<number> {
    for (const instrument of await this.instruments.list({ exchange: DEMO_EXCHANGE })) {
      const meta = demoMetadata(instrument);
      if (meta) return Date.parse(meta.candles.to);
    }
    return Math.floor(Date.now() / DAY_MS) * DAY_MS;
  }

  private logOutcome(report: DemoSeedReport): void {
    const stored = report.symbols.filter((s) => s.status === 'seeded');
    const candles = report.symbols.reduce((n, s) => n + s.candlesInserted, 0);
    const trades = report.symbols.reduce((n, s) => n + s.tradesInserted, 0);
    const seconds = (report.durationMs / 1000).toFixed(1);
    switch (report.status) {
      case 'busy':
        this.log.log('demo market data is being seeded by another process');
        return;
      case 'interrupted':
        this.log.log(`demo market data seeding stopped by shutdown after ${seconds} s; the next start completes it`);
        return;
      case 'done':
        if (stored.length === 0) {
          this.log.debug(`demo market data already present (checked in ${report.durationMs} ms)`);
          return;
        }
        this.log.log(
          `demo market data ready in ${seconds} s: exchange ${DEMO_EXCHANGE} with ${DEMO_SYMBOLS.map((s) => s.symbol).join(', ')} ` +
            `(synthetic) until ${new Date(report.end ?? 0).toISOString()}; stored ${candles} 1m candles and ${trades} trades`,
        );
        return;
    }
  }
}

function metadataFor(market: SyntheticMarket, seed: number): DemoMetadata {
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    synthetic: true,
    source: DEMO_SOURCE,
    generator: SYNTHETIC_GENERATOR,
    seed,
    regimeSeed: DEMO_SEED,
    candles: { timeframe: '1m', from: iso(market.start), to: iso(market.end), count: market.time.length },
    trades: {
      from: iso(market.time[market.tradeFrom] ?? market.end),
      to: iso(market.end),
      count: market.trades.time.length,
    },
  };
}

function modelOf(spec: DemoSymbol): Record<string, number> {
  const { startPrice, annualDrift, annualVolatility, tradesPerMinute, meanTradeSize } = spec;
  return { startPrice, annualDrift, annualVolatility, tradesPerMinute, meanTradeSize };
}

/** The demo part of an instrument's metadata, or null when it is not demo data. */
function demoMetadata(instrument: InstrumentRecord): DemoMetadata | null {
  const m = instrument.metadata as Partial<DemoMetadata>;
  const valid =
    m.synthetic === true &&
    typeof m.generator === 'string' &&
    typeof m.seed === 'number' &&
    typeof m.candles?.to === 'string' &&
    typeof m.candles.from === 'string' &&
    typeof m.candles.count === 'number' &&
    typeof m.trades?.from === 'string' &&
    typeof m.trades.count === 'number' &&
    Number.isFinite(Date.parse(m.candles.to));
  return valid ? (m as DemoMetadata) : null;
}
