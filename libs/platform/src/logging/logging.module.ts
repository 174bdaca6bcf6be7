import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import pino, { Logger, LoggerOptions } from 'pino';
import { AppConfig } from '../config/app-config';

/**
 * Paths pino removes from every log line. Access lines carry no headers or
 * bodies at all; these guard what code logs by hand (`logger.info({ user })`).
 * Kept short: each wildcard path costs time on every line.
 */
export const REDACTED_PATHS = [
  'password',
  'token',
  'secret',
  'authorization',
  '*.password',
  '*.token',
  '*.accessToken',
  '*.refreshToken',
  '*.apiKey',
  '*.secret',
  '*.passphrase',
  '*.authorization',
];

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
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
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
 * nestjs-pino over the request logger Fastify creates (`useExisting`): every
 * log line written while a request is handled carries its `requestId`. The
 * access line itself is written by the API's onResponse hook.
 */
@Module({})
export class LoggingModule {
  static forRoot(service: string): DynamicModule {
    return {
      module: LoggingModule,
      imports: [
        LoggerModule.forRootAsync({
          inject: [AppConfig],
          useFactory: (config: AppConfig) => ({ pinoHttp: pinoOptions(config, service), useExisting: true }),
        }),
      ],
    };
  }
}
