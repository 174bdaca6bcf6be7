import { DynamicModule, Type } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { AppConfig, DatabaseUrl, loadConfig } from '@app/platform';
import { createApiApp } from '../../apps/api/src/bootstrap';
import { testEnv } from '@app/testing';

export interface TestApi {
  app: NestFastifyApplication;
  config: AppConfig;
  inject(options: InjectOptions | string): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export interface TestApiOptions {
  env?: Record<string, string | undefined>;
  /** Modules added for the test only (probe controllers, test processors). */
  extraModules?: Array<Type<unknown> | DynamicModule>;
}

/**
 * Boots the real API application (same bootstrap as production) against the
 * test PostgreSQL, optionally Redis, and answers requests through Fastify's
 * inject (no socket). Call `close()` in afterAll.
 */
export async function createTestApi(options: TestApiOptions = {}): Promise<TestApi> {
  const config = loadConfig(testEnv(options.env));
  const app = await createApiApp(config, DatabaseUrl.from(config), { extraModules: options.extraModules });
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return {
    app,
    config,
    inject: (opts) => app.inject(typeof opts === 'string' ? { method: 'GET', url: opts } : opts),
    close: () => app.close(),
  };
}
