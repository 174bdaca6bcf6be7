import { Module } from '@nestjs/common';
import { WORKER_QUEUES, WorkerHeartbeat } from '@app/platform';
import { MarketModule } from '@app/market';
import { TieredBacktestsModule } from '@app/tiered-backtests';
import { MarketImportProcessor } from './market/market-import.processor';
import { MarketSyncProcessor } from './market/market-sync.processor';
import { SystemProcessor } from './system/system.processor';
import { BacktestProcessor } from './tiered-backtests/backtest.processor';

/**
 * Every BullMQ processor and the worker heartbeat. Imported by the worker's
 * root module, and by the API's in the embedded mode (workers in-process).
 */
@Module({
  imports: [MarketModule, TieredBacktestsModule],
  providers: [
    SystemProcessor,
    MarketImportProcessor,
    MarketSyncProcessor,
    BacktestProcessor,
    WorkerHeartbeat,
    { provide: WORKER_QUEUES, useValue: ['system', 'market-import', 'market-sync', 'backtests'] },
  ],
  exports: [WorkerHeartbeat],
})
export class WorkerProcessorsModule {}
