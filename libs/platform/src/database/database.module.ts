import { DynamicModule, Global, Logger, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config';
import { dataSourceOptions } from './data-source-options';
import { DatabaseUrl } from './database-url';
import { DatabasePool } from './database-pool';
import { describePgError, guardPgClientErrors } from './pg-client-errors';

const poolLogger = new Logger('Database');

/** TypeORM over PostgreSQL; feature libraries add their entities with `TypeOrmModule.forFeature`. */
@Global()
@Module({})
export class DatabaseModule {
  static forRoot(url: DatabaseUrl): DynamicModule {
    guardPgClientErrors();
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [AppConfig],
          useFactory: (config: AppConfig) => ({
            ...dataSourceOptions(config, url.value),
            autoLoadEntities: true,
            retryAttempts: 3,
            retryDelay: 500,
            // TypeORM's default handler writes through its own logger, which is off.
            poolErrorHandler: (err: unknown) => poolLogger.warn(describePgError(err)),
          }),
        }),
      ],
      providers: [{ provide: DatabaseUrl, useValue: url }, DatabasePool],
      exports: [DatabaseUrl, DatabasePool],
    };
  }
}
