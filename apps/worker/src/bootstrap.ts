import { NestFactory } from '@nestjs/core';
import { INestApplicationContext } from '@nestjs/common';
import { Logger } from 'nestjs-pino';
import { AppConfig, DatabasePool, DatabaseUrl, QueueStats, WorkerHeartbeat } from '@app/platform';
import { startHealthServer } from './health-server';
import { WorkerModule } from './worker.module';

export interface RunningWorker {
  app: INestApplicationContext;
  close(): Promise<void>;
}

/** Starts the BullMQ workers (and, for a standalone worker, its probe server). */
export async function startWorkerApp(
  config: AppConfig,
  databaseUrl: DatabaseUrl,
  options: { healthServer: boolean },
): Promise<RunningWorker> {
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config, databaseUrl), {
    bufferLogs: true,
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  await app.init();
  const server = options.healthServer
    ? await startHealthServer(config.env.WORKER_HEALTH_PORT, config.host, {
        pool: app.get(DatabasePool),
        queues: app.get(QueueStats),
        heartbeat: app.get(WorkerHeartbeat),
        timeoutMs: config.env.DEPENDENCY_TIMEOUT_MS,
        metricsToken: config.env.METRICS_TOKEN,
      })
    : undefined;
  return {
    app,
    close: async () => {
      await server?.close();
      await app.close();
    },
  };
}
