import { DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config';
import { dataSourceOptions } from './data-source-options';
import { DatabaseUrl } from './database-url';
import { DatabasePool } from './database-pool';

/** TypeORM over PostgreSQL; feature libraries add their entities with `TypeOrmModule.forFeature`. */
@Global()
@Module({})
export class DatabaseModule {
  static forRoot(url: DatabaseUrl): DynamicModule {
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
          }),
        }),
      ],
      providers: [{ provide: DatabaseUrl, useValue: url }, DatabasePool],
      exports: [DatabaseUrl, DatabasePool],
    };
  }
}
