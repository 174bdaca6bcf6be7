import 'reflect-metadata';
import { runService } from '@app/platform';
import { createApiApp } from './bootstrap';
import { drainHttp } from './http/http-drain';

const CLOSE_RESERVE_MS = 1_000;

/**
 * The API process. Embedded mode (no DATABASE_URL): PostgreSQL starts in
 * DATA_DIR, migrations run, and the BullMQ workers run in this process too.
 */
runService({
  name: 'api',
  shutdownBudgetMs: (config) => config.env.SHUTDOWN_TIMEOUT_MS + 2_000,
  async start(config, db, say) {
    const app = await createApiApp(config, db.url);
    await app.listen({ port: config.env.PORT, host: config.host });
    const base = config.env.PUBLIC_URL ?? `http://localhost:${config.env.PORT}`;
    const data = db.embedded ? `data in ${db.location} (embedded PostgreSQL)` : `database ${db.location}`;
    const workers = config.runWorkerInApi ? `; workers in-process on the ${config.queueBackend} queue` : '';
    return {
      readyMessage: `API ${base}/api/v1, docs ${base}/docs, ${data}${workers}`,
      async stop(stopBy) {
        // Closing the app (workers, queues, pools) gets what the drain leaves of the time, at least a second.
        await drainHttp(app, stopBy - CLOSE_RESERVE_MS, say);
        await app.close();
      },
    };
  },
});
