import { runMigrations as runQueueMigrations } from 'bullmq';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { QUEUE_PG_SCHEMA } from '../queue/queue-connection';
import { dataSourceOptions } from './data-source-options';

export interface MigrationReport {
  applied: string[];
  queueSchemaVersion?: number;
}

async function withDataSource<T>(config: AppConfig, url: string, fn: (ds: DataSource) => Promise<T>): Promise<T> {
  const ds = new DataSource({ ...dataSourceOptions(config, url), poolSize: 2, extra: { max: 2 } });
  await ds.initialize();
  try {
    return await fn(ds);
  } finally {
    await ds.destroy();
  }
}

/**
 * Applies pending migrations: ours (TypeORM, each in its own transaction) and,
 * when the job queue lives in PostgreSQL, BullMQ's own schema migrations.
 */
export async function applyMigrations(config: AppConfig, url: string): Promise<MigrationReport> {
  const applied = await withDataSource(config, url, async (ds) => {
    const done = await ds.runMigrations({ transaction: 'each' });
    return done.map((m) => m.name);
  });
  if (config.queueBackend !== 'postgres') return { applied };
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const queueSchemaVersion = await runQueueMigrations(client, QUEUE_PG_SCHEMA);
    return { applied, queueSchemaVersion };
  } finally {
    await client.end();
  }
}

export async function revertLastMigration(config: AppConfig, url: string): Promise<void> {
  await withDataSource(config, url, (ds) => ds.undoLastMigration({ transaction: 'each' }));
}

/** Names of migrations not yet applied. */
export async function pendingMigrations(config: AppConfig, url: string): Promise<string[]> {
  return withDataSource(config, url, async (ds) => {
    const rows = await ds
      .query<Array<{ name: string }>>('SELECT name FROM typeorm_migrations')
      .catch((): Array<{ name: string }> => []);
    const done = new Set(rows.map((r) => r.name));
    return ds.migrations.map((m) => m.name ?? m.constructor.name).filter((n) => !done.has(n));
  });
}
