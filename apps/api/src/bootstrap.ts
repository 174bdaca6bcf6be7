import { DynamicModule, RequestMethod, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { LogController } from 'fastify';
import { Logger, PinoLogger } from 'nestjs-pino';
import {
  AppConfig,
  DatabaseUrl,
  answerClientError,
  createLogger,
  requestLogContextEnabled,
  runInRequestLogContext,
} from '@app/platform';
import { ApiModule } from './api.module';
import { ApiFastifyAdapter } from './http/api-fastify-adapter';
import { corsPolicy } from './http/cors-policy';
import { genRequestId, registerHttpHooks } from './http/fastify-hooks';
import { jsonBodyParser } from './http/json-body';
import { registerStreamingMultipart } from './http/multipart';
import { sendFrameworkError } from './http/problem-details.filter';
import { setupSwagger } from './http/swagger';
import { createValidationPipe } from './http/validation';

export const API_PREFIX = 'api/v1';

/** Routes served outside /api/v1: probes, metrics and the docs. */
const UNPREFIXED = ['health', 'health/ready', 'health/detailed', 'metrics'];

/**
 * Bounds on how slowly a client may talk. Without them a connection that
 * sends its headers or body a byte at a time holds a socket forever. The
 * checks run every second, so a timeout fires within a second of its time.
 * No bound on a request once it is received: an answer may take long (AI).
 */
function httpTimeouts(config: AppConfig) {
  const requestTimeout = config.env.HTTP_REQUEST_TIMEOUT_MS;
  const headersTimeout = Math.min(config.env.HTTP_HEADERS_TIMEOUT_MS, requestTimeout);
  return {
    requestTimeout,
    keepAliveTimeout: config.env.HTTP_IDLE_TIMEOUT_MS,
    http: { headersTimeout, requestTimeout, connectionsCheckingInterval: 1_000 },
  };
}

/**
 * Builds the API application (not yet listening). `main.ts` and the end-to-end
 * tests both use it, so tests exercise exactly what runs in production.
 */
export async function createApiApp(
  config: AppConfig,
  databaseUrl: DatabaseUrl,
  options: { extraModules?: Array<Type<unknown> | DynamicModule> } = {},
): Promise<NestFastifyApplication> {
  const adapter = new ApiFastifyAdapter({
    bodyLimit: config.env.BODY_LIMIT,
    trustProxy: config.env.TRUST_PROXY.length > 0 ? config.env.TRUST_PROXY : false,
    genReqId: genRequestId,
    requestIdHeader: false,
    loggerInstance: createLogger(config, 'api'),
    // The access line is written by our onResponse hook (route template, no headers).
    logController: new LogController({ requestIdLogLabel: 'requestId', disableRequestLogging: true }),
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    routerOptions: { maxParamLength: 200 },
    ...httpTimeouts(config),
    // Errors the router and Node's HTTP parser meet before any route runs, as problem details too.
    frameworkErrors: sendFrameworkError,
    clientErrorHandler: answerClientError,
  });
  const app = await NestFactory.create<NestFastifyApplication>(
    ApiModule.forRoot(config, databaseUrl, options.extraModules),
    adapter,
    {
      bufferLogs: true,
      abortOnError: false,
    },
  );
  app.useLogger(app.get(Logger));
  const fastify = app.getHttpAdapter().getInstance();
  const pino = await app.resolve(PinoLogger);
  registerHttpHooks(
    fastify,
    requestLogContextEnabled(config) ? (requestId, next) => runInRequestLogContext(pino, requestId, next) : undefined,
  );
  // multipart/form-data for market-data uploads; the limits are set per route where it is read.
  await registerStreamingMultipart(fastify, { throwFileSizeLimit: true });

  // Without configured origins no browser may call cross-origin, which is what
  // answering without CORS headers means; registering nothing saves a hook per request.
  if (config.env.CORS_ORIGINS.length > 0) {
    app.enableCors(corsPolicy(config.env.CORS_ORIGINS));
  }
  app.setGlobalPrefix(API_PREFIX, { exclude: UNPREFIXED.map((path) => ({ path, method: RequestMethod.GET })) });
  app.useGlobalPipes(createValidationPipe());
  app.useBodyParser('application/json', { bodyLimit: config.env.BODY_LIMIT }, jsonBodyParser(fastify));
  // No enableShutdownHooks(): Nest would start closing on the signal itself, ahead of the
  // HTTP drain that main.ts runs first (see runService and drainHttp).
  setupSwagger(app);
  return app;
}
