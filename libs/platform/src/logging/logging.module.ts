import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule, PinoLogger } from 'nestjs-pino';
import pino, { Logger, LoggerOptions } from 'pino';
import { AppConfig } from '../config/app-config';
import { redactSecrets } from './redact';

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
    base: { service },
    messageKey: 'msg',
  };
}

/**
 * The logger instance for Fastify's request logs. JSON lines go to stdout
 * through an asynchronous destination: under load, lines written while a write
 * is in flight are batched into the next one instead of one blocking syscall
 * per line (pino flushes it on exit).
 */
export function createLogger(config: AppConfig, service: string): Logger {
  const options = pinoOptions(config, service);
  if (options.transport) return pino(options);
  return pino(options, pino.destination({ dest: 1, sync: false }));
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
          useFactory: (config: AppConfig) => ({ pinoHttp: pinoOptions(config, service), forRoutes: [] }),
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
