import { AppConfig, ConfigError, loadConfig } from '../config/app-config';
import { bootLog } from './boot-log';
import { withEmbeddedSecrets } from './embedded-secrets';
import { PreparedDatabase, SchemaBehindError, prepareDatabase } from './database-bootstrap';
import { onShutdownSignal } from './shutdown';

export interface RunningService {
  /** The one line logged when the service is ready. */
  readyMessage: string;
  stop(): Promise<void>;
}

export interface ServiceDefinition {
  name: string;
  /** Longest a clean stop may take before the process exits anyway. */
  shutdownBudgetMs(config: AppConfig): number;
  start(config: AppConfig, db: PreparedDatabase, say: (message: string) => void): Promise<RunningService>;
}

/**
 * The life of a process (API or worker): validate config, prepare the database
 * (embedded or external), start, stop cleanly on SIGINT/SIGTERM, and exit
 * non-zero with one clear line when anything on the way fails.
 */
export function runService(definition: ServiceDefinition): void {
  const run = async () => {
    const startedAt = Date.now();
    const config = withEmbeddedSecrets(loadConfig());
    const say = bootLog(config, definition.name);
    let db: PreparedDatabase | undefined;
    try {
      db = await prepareDatabase(config, say);
      const embedded = db.embedded;
      const service = await definition.start(config, db, say);
      onShutdownSignal(
        async () => {
          await service.stop();
          await embedded?.stop();
          say('stopped');
        },
        definition.shutdownBudgetMs(config),
        say,
      );
      say(`ready in ${Date.now() - startedAt} ms: ${service.readyMessage}`);
    } catch (err) {
      await db?.embedded?.stop();
      throw err;
    }
  };
  run().catch((err: unknown) => {
    const known = err instanceof ConfigError || err instanceof SchemaBehindError;
    process.stderr.write(
      known ? `${(err as Error).message}\n` : `startup failed: ${String((err as Error)?.stack ?? err)}\n`,
    );
    process.exit(1);
  });
}
