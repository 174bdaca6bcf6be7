import { ALL_MIGRATIONS } from '@app/migrations';
import { DataSourceOptions } from 'typeorm';
import { AppConfig } from '../config/app-config';

/**
 * TypeORM options for PostgreSQL from the validated config. `synchronize` is
 * never on: the schema changes only through migrations in `migrations/`.
 */
export function dataSourceOptions(config: AppConfig, url: string, entities: DataSourceOptions['entities'] = []) {
  const env = config.env;
  return {
    type: 'postgres',
    url,
    entities,
    migrations: ALL_MIGRATIONS,
    migrationsTableName: 'typeorm_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    migrationsRun: false,
    ssl: env.DATABASE_SSL ? { rejectUnauthorized: true } : false,
    applicationName: 'quant-backend',
    poolSize: env.DATABASE_POOL_SIZE,
    extra: {
      max: env.DATABASE_POOL_SIZE,
      idleTimeoutMillis: env.DATABASE_IDLE_TIMEOUT_MS,
      connectionTimeoutMillis: env.DATABASE_CONNECTION_TIMEOUT_MS,
      statement_timeout: env.DATABASE_STATEMENT_TIMEOUT_MS,
      // A dead server must not hang a query past the statement timeout either.
      query_timeout: env.DATABASE_STATEMENT_TIMEOUT_MS + 1_000,
      keepAlive: true,
    },
  } satisfies DataSourceOptions;
}
