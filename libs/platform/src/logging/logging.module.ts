import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule, PinoLogger } from 'nestjs-pino';
import pino, { Logger, LoggerOptions } from 'pino';
import { AppConfig } from '../config/app-config';
import { stdoutLines } from './line-destination';
import { redactSecrets } from './redact';
import { errSerializer } from './safe-error';

/** Fields the HTTP layer attaches to the raw request for the logger. */
export interface RequestLogContext {
  id?: string;
  routeTemplate?: string;
  userId?: string;
}

/** One pino configuration for every logger of the process (Fastify's and Nest's). */
export function pinoOptions(config: AppConfig, service: string): LoggerOptions {
  return {
    level: config.env.LOG_LEVEL,
    transport:
      config.logFormat === 'pretty'
        ? {
            target: 'pino-pretty',
            options: { singleLine: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' },
          }
        : undefined,
    // Secrets are removed from every line and every child's bindings (see redactSecrets).
    formatters: { log: redactSecrets, bindings: redactSecrets },
    // A failed query's values never reach a line (see serializeError).
    serializers: { err: errSerializer },
    base: { service },
    messageKey: 'msg',
  };
}

/**
 * The logger instance for Fastify's request logs. JSON lines go to stdout
 * through the process's one destination, which writes the lines of an
 * event-loop turn in one chunk (see `BatchedLineDestination`).
 */
export function createLogger(config: AppConfig, service: string): Logger {
  const options = pinoOptions(config, service);
  if (options.transport) return pino(options);
  return pino(options, stdoutLines());
}

/**
 * Whether each request runs inside a logging context that puts its
 * `requestId` on every line Nest code logs while handling it.
 *
 * That context lives in an AsyncLocalStorage. From Node.js 24 on (or 22 with
 * `--experimental-async-context-frame`), the storage travels with the async
 * context frame and costs nothing measurable. Before that, it tracks every
 * promise through async hooks: on Node.js 20 that was 16 µs of the 67 µs of
 * CPU an authenticated `GET /api/v1/auth/me` took. `auto` binds it where it is
 * cheap; the access line and the error lines of a request carry its id in any case.
 */
export function requestLogContextEnabled(
  config: AppConfig,
  runtime: { version: string; execArgv: readonly string[] } = process,
): boolean {
  const setting = config.env.LOG_REQUEST_CONTEXT;
  if (setting !== 'auto') return setting === 'on';
  const flags = [...runtime.execArgv, ...(config.env.NODE_OPTIONS ?? '').split(/\s+/)];
  const major = Number(/^v?(\d+)/.exec(runtime.version)?.[1] ?? 0);
  if (major >= 24) return !flags.includes('--no-async-context-frame');
  return major >= 22 && flags.includes('--experimental-async-context-frame');
}

/**
 * nestjs-pino for every logger of the process. A request's context is bound by
 * the HTTP layer (see `runInRequestLogContext`), not by nestjs-pino's own
 * middleware: that ran through Nest's Express-style middleware engine, eight
 * more promises per request, each paying for the async context tracking, and
 * about a third of the CPU of a `/health` request.
 */
@Module({})
export class LoggingModule {
  static forRoot(service: string): DynamicModule {
    return {
      module: LoggingModule,
      imports: [
        LoggerModule.forRootAsync({
          inject: [AppConfig],
          useFactory: (config: AppConfig) => {
            const options = pinoOptions(config, service);
            // JSON lines share the process's stdout destination with Fastify's logger.
            return { pinoHttp: options.transport ? options : [options, stdoutLines()], forRoutes: [] };
          },
        }),
      ],
    };
  }
}

/**
 * Runs `next` (the rest of a request's handling) with nestjs-pino's logging
 * context bound to the request id, so every line logged through Nest's `Logger`
 * or `PinoLogger` while the request is handled carries its `requestId`, across
 * every `await`.
 */
export function runInRequestLogContext(
  logger: Pick<PinoLogger, 'runInContext'>,
  requestId: string,
  next: () => void,
): void {
  logger.runInContext(next, { bindings: { requestId } });
}
