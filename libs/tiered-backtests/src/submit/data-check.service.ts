import { Inject, Injectable } from '@nestjs/common';
import type { Precision } from '@app/engine';
import { AppConfig } from '@app/platform';
import {
  CoverageStats,
  formatTimeframe,
  InstrumentNotFoundError,
  InstrumentRecord,
  MarketFeed,
  MarketStore,
  SeriesRange,
} from '@app/market';
import { BacktestTooLargeError, MarketDataMissingError } from '../backtest.errors';
import { timeframeToMs } from '../domain/plan';

const ALL_TIME: SeriesRange = { from: 0, to: 8.64e15 };
const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());

export interface DataCheck {
  instrument: InstrumentRecord;
  /** Hybrid: the detail timeframe the run uses (the request's, else the finest the data has). */
  detailTimeframe: string | null;
}

/**
 * What a submission checks against the stored market data before anything is queued: the
 * instrument exists, the range holds bars (and prints for tick), the detail series a hybrid
 * run needs can be built, and the run stays within the configured size.
 */
@Injectable()
export class DataCheckService {
  constructor(
    @Inject(AppConfig) private readonly config: AppConfig,
    private readonly feed: MarketFeed,
    private readonly store: MarketStore,
  ) {}

  async check(
    request: { exchange: string; symbol: string; from: number; to: number; detailTimeframe?: string },
    precision: Precision,
    tfMs: number,
  ): Promise<DataCheck> {
    const instrument = await this.feed.instrument(request.exchange, request.symbol).catch((error: unknown) => {
      if (error instanceof InstrumentNotFoundError) {
        throw new MarketDataMissingError(`No market data is stored for ${request.symbol} on ${request.exchange}.`, {
          exchange: request.exchange,
          symbol: request.symbol,
          candles: null,
          trades: null,
        });
      }
      throw error;
    });
    const range = { from: request.from, to: request.to };
    const base = this.feed.sourceOf(instrument, tfMs);
    if (!(await this.store.hasData(base.kind, instrument.id, range))) {
      throw new MarketDataMissingError(
        `No ${base.kind === 'candles' ? 'candles' : 'trade prints'} of ${instrument.symbol} on ${instrument.exchange} lie in the requested range.`,
        await this.coverage(instrument),
      );
    }
    // The prints in the range are counted at most once, and only when a check needs them.
    let counted: Promise<CoverageStats> | undefined;
    const prints = () => (counted ??= this.tradeStats(instrument, range));
    let bars = Math.ceil((range.to - range.from) / tfMs);
    let detailTimeframe: string | null = null;

    if (precision === 'hybrid') {
      const detailMs = request.detailTimeframe
        ? timeframeToMs(request.detailTimeframe)
        : this.finestDetail(instrument, tfMs);
      if (detailMs === undefined) {
        throw new MarketDataMissingError(
          `Hybrid precision needs data finer than the timeframe; ${instrument.symbol} on ${instrument.exchange} has none.`,
          await this.coverage(instrument),
        );
      }
      const detailSource = this.feed.sourceOf(instrument, detailMs);
      detailTimeframe = formatTimeframe(detailMs);
      const detailBars = Math.ceil((range.to - range.from) / detailMs);
      // Bars built from prints exist only where prints are: at most one bar per print.
      bars += detailSource.kind === 'trades' ? Math.min(detailBars, (await prints()).count) : detailBars;
      if (instrument.hasTrades && detailMs > 1_000) {
        // The prints add 1s bars where they are: at most one per second, at most one per print.
        bars += Math.min(Math.ceil((range.to - range.from) / 1_000), (await prints()).count);
      }
    }
    if (bars > this.config.env.BACKTEST_MAX_BARS)
      throw new BacktestTooLargeError('bars', bars, this.config.env.BACKTEST_MAX_BARS);

    if (precision === 'tick') {
      const { count } = await prints();
      if (count === 0) {
        throw new MarketDataMissingError(
          `Tick precision replays trade prints; none of ${instrument.symbol} on ${instrument.exchange} lie in the requested range.`,
          await this.coverage(instrument),
        );
      }
      if (count > this.config.env.BACKTEST_MAX_TRADES) {
        throw new BacktestTooLargeError('trade prints', count, this.config.env.BACKTEST_MAX_TRADES);
      }
    }
    return { instrument, detailTimeframe };
  }

  /** The finest series under the timeframe: the stored candles when finer, else 1s bars from the prints. */
  private finestDetail(instrument: InstrumentRecord, tfMs: number): number | undefined {
    const stored = instrument.candleTimeframeMs;
    if (stored !== null && stored < tfMs && tfMs % stored === 0) return stored;
    if (instrument.hasTrades && tfMs > 1_000) return 1_000;
    return undefined;
  }

  private tradeStats(instrument: InstrumentRecord, range: SeriesRange): Promise<CoverageStats> {
    return instrument.hasTrades
      ? this.store.tradeStats(instrument.id, range)
      : Promise.resolve({ count: 0, first: null, last: null });
  }

  /** Everything stored for the instrument, for the 422 answer. */
  private async coverage(instrument: InstrumentRecord): Promise<Record<string, unknown>> {
    const candles =
      instrument.candleTimeframeMs === null ? null : await this.store.candleStats(instrument.id, ALL_TIME);
    const trades = instrument.hasTrades ? await this.store.tradeStats(instrument.id, ALL_TIME) : null;
    return {
      exchange: instrument.exchange,
      symbol: instrument.symbol,
      candles: candles && {
        timeframe: formatTimeframe(instrument.candleTimeframeMs!),
        first: iso(candles.first),
        last: iso(candles.last),
        count: candles.count,
      },
      trades: trades && { first: iso(trades.first), last: iso(trades.last), count: trades.count },
    };
  }
}
