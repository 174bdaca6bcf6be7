import 'reflect-metadata';
import { runService } from '@app/platform';
import { startWorkerApp } from './bootstrap';

/** The standalone worker process (production): `npm run start:worker`. */
runService({
  name: 'worker',
  shutdownBudgetMs: (config) => config.env.WORKER_SHUTDOWN_TIMEOUT_MS + 5_000,
  async start(config, db) {
    const worker = await startWorkerApp(config, db.url, { healthServer: true });
    return {
      readyMessage: `worker on the ${config.queueBackend} queue; probes on :${config.env.WORKER_HEALTH_PORT}/health`,
      stop: () => worker.close(),
    };
  },
});
