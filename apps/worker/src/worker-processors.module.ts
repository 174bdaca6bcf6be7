import { Module } from '@nestjs/common';
import { WORKER_QUEUES, WorkerHeartbeat } from '@app/platform';
import { SystemProcessor } from './system/system.processor';

/**
 * Every BullMQ processor and the worker heartbeat. Imported by the worker's
 * root module, and by the API's in the embedded mode (workers in-process).
 */
@Module({
  providers: [SystemProcessor, WorkerHeartbeat, { provide: WORKER_QUEUES, useValue: ['system'] }],
  exports: [WorkerHeartbeat],
})
export class WorkerProcessorsModule {}
