import { Module } from '@nestjs/common';
import { MarketCache } from './cache/market-cache';
import { InstrumentRepository } from './store/instrument.repository';
import { MarketIngest } from './store/market-ingest.service';
import { MarketStore } from './store/market-store';

/**
 * Market data (DESIGN §6): instruments, candles and trade prints in PostgreSQL; file imports;
 * cached reads for the frontend; the typed-array feed of the backtest engine.
 */
@Module({
  providers: [InstrumentRepository, MarketStore, MarketCache, MarketIngest],
  exports: [InstrumentRepository, MarketStore, MarketCache, MarketIngest],
})
export class MarketModule {}
