import { DynamicModule, Module } from '@nestjs/common';
import {
  AppConfig,
  ConfigModule,
  DatabaseModule,
  DatabaseUrl,
  LoggingModule,
  QueueModule,
  RedisModule,
} from '@app/platform';
import { WorkerProcessorsModule } from './worker-processors.module';

/** Root module of the standalone worker: BullMQ processors over the same libraries as the API. */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig, databaseUrl: DatabaseUrl): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule.forRoot('worker'),
        DatabaseModule.forRoot(databaseUrl),
        RedisModule,
        QueueModule.forRoot(),
        WorkerProcessorsModule,
      ],
    };
  }
}
