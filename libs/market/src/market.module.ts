import { Module } from '@nestjs/common';
import { MarketCache } from './cache/market-cache';
import { DemoSeedService } from './demo/demo-seed.service';
import { MarketFeed } from './feed/market-feed.service';
import { ImportRepository } from './import/import.repository';
import { ImportService } from './import/import.service';
import { MarketCostBudget, MarketReadGate } from './read/market-read-gate';
import { MarketReadService } from './read/market-read.service';
import { InstrumentRepository } from './store/instrument.repository';
import { MarketIngest } from './store/market-ingest.service';
import { MarketStore } from './store/market-store';
import { ExchangeClients } from './sync/exchange-clients.service';
import { MarketSyncRepository } from './sync/market-sync.repository';
import { MarketSyncService } from './sync/market-sync.service';

/**
 * Market data (docs/market-data.md): instruments, candles and trade prints in PostgreSQL; file imports;
 * cached reads for the frontend; the typed-array feed of the backtest engine.
 */
@Module({
  providers: [
    InstrumentRepository,
    MarketStore,
    MarketCache,
    MarketIngest,
    MarketFeed,
    MarketReadService,
    MarketReadGate,
    MarketCostBudget,
    ImportRepository,
    ImportService,
    DemoSeedService,
    ExchangeClients,
    MarketSyncRepository,
    MarketSyncService,
  ],
  exports: [
    InstrumentRepository,
    MarketStore,
    MarketCache,
    MarketIngest,
    MarketFeed,
    MarketReadService,
    MarketReadGate,
    ImportService,
    MarketSyncService,
  ],
})
export class MarketModule {}
