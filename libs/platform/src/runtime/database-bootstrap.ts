import { AppConfig } from '../config/app-config';
import { redactUrl } from '../config/config.schema';
import { DatabaseUrl } from '../database/database-url';
import { applyMigrations, pendingMigrations } from '../database/migrations-runner';
import { EmbeddedPostgres, startEmbeddedPostgres } from '../embedded/embedded-postgres';

export interface PreparedDatabase {
  url: DatabaseUrl;
  embedded?: EmbeddedPostgres;
  /** Printable location of the data (embedded data dir, or the redacted URL). */
  location: string;
}

/** Refused start: the schema is behind the code and this mode does not migrate by itself. */
export class SchemaBehindError extends Error {
  constructor(readonly pending: string[]) {
    super(
      `database schema is behind: ${pending.length} migration(s) pending (${pending.join(', ')}); run "npm run migration:run" first`,
    );
  }
}

/**
 * Embedded mode: start PostgreSQL in DATA_DIR and apply pending migrations.
 * External mode: check that migrations are current and refuse to serve if not.
 */
export async function prepareDatabase(config: AppConfig, log: (m: string) => void): Promise<PreparedDatabase> {
  if (config.runMode === 'external') {
    const url = DatabaseUrl.from(config);
    const pending = await pendingMigrations(config, url.value);
    if (pending.length > 0) throw new SchemaBehindError(pending);
    return { url, location: redactUrl(url.value) };
  }
  const embedded = await startEmbeddedPostgres({
    dataDir: config.dataDir,
    port: config.env.EMBEDDED_PG_PORT,
    database: 'quant',
    log,
  });
  try {
    const report = await applyMigrations(config, embedded.url);
    if (report.applied.length > 0) log(`applied migrations: ${report.applied.join(', ')}`);
  } catch (err) {
    await embedded.stop();
    throw err;
  }
  return { url: DatabaseUrl.from(config, embedded.url), embedded, location: config.dataDir };
}
