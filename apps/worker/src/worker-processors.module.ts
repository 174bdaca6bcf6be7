import { Module } from '@nestjs/common';
import { WORKER_QUEUES, WorkerHeartbeat } from '@app/platform';
import { MarketModule } from '@app/market';
import { MarketImportProcessor } from './market/market-import.processor';
import { MarketSyncProcessor } from './market/market-sync.processor';
import { SystemProcessor } from './system/system.processor';

/**
 * Every BullMQ processor and the worker heartbeat. Imported by the worker's
 * root module, and by the API's in the embedded mode (workers in-process).
 */
@Module({
  imports: [MarketModule],
  providers: [
    SystemProcessor,
    MarketImportProcessor,
    MarketSyncProcessor,
    WorkerHeartbeat,
    { provide: WORKER_QUEUES, useValue: ['system', 'market-import', 'market-sync'] },
  ],
  exports: [WorkerHeartbeat],
})
export class WorkerProcessorsModule {}
