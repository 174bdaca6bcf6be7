import { AppConfig, ConfigError, loadConfig } from '../config/app-config';
import { guardPgClientErrors } from '../database/pg-client-errors';
import { bootLog } from './boot-log';
import { withEmbeddedSecrets } from './embedded-secrets';
import { PreparedDatabase, SchemaBehindError, prepareDatabase } from './database-bootstrap';
import { onShutdownSignal } from './shutdown';

export interface RunningService {
  /** The one line logged when the service is ready. */
  readyMessage: string;
  /** Stops the service; `stopBy` (epoch ms) is when it must be done for the rest of the shutdown to fit the budget. */
  stop(stopBy: number): Promise<void>;
}

export interface ServiceDefinition {
  name: string;
  /** Longest a clean stop may take before the process exits anyway. */
  shutdownBudgetMs(config: AppConfig): number;
  start(config: AppConfig, db: PreparedDatabase, say: (message: string) => void): Promise<RunningService>;
}

/** What the budget keeps after the service's stop: embedded PostgreSQL's fast shutdown and the exit. */
const STOP_RESERVE_MS = 2_000;

/** True when `work` settled (either way) by `deadline`; a rejection is rethrown. */
async function settledBy(work: Promise<void>, deadline: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([work.then(() => true as const), late]);
  } finally {
    clearTimeout(timer);
  }
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
    guardPgClientErrors();
    let db: PreparedDatabase | undefined;
    try {
      db = await prepareDatabase(config, say);
      const embedded = db.embedded;
      const service = await definition.start(config, db, say);
      const budgetMs = definition.shutdownBudgetMs(config);
      onShutdownSignal(
        async () => {
          const stopBy = Date.now() + budgetMs - STOP_RESERVE_MS;
          // Past its time the service is left as it is: PostgreSQL must still stop and the
          // process exit cleanly. Each module has bounded its own drain; what is cut off here
          // was logged by it.
          if (!(await settledBy(service.stop(stopBy), stopBy))) {
            say(`${definition.name} did not finish closing in time; stopping anyway`);
          }
          // Last: PostgreSQL runs in its own process group and outlives the app's connections.
          // Its fast shutdown gets what the budget leaves, less a moment for the exit.
          await embedded?.stop(Math.max(250, stopBy + STOP_RESERVE_MS - Date.now() - 500));
          say('stopped');
        },
        budgetMs,
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
