import { z } from 'zod';

/**
 * Every environment variable the product reads, validated once at start-up.
 * `.env.example` documents each one; a test keeps the two in step, and another
 * checks that docker-compose.yml and k8s/ set only variables listed here.
 */

const BOOL_TRUE = new Set(['1', 'true', 'yes', 'on']);
const BOOL_FALSE = new Set(['0', 'false', 'no', 'off']);

const show = (value: unknown): string => JSON.stringify(value);

function int(name: string, min: number, max: number, fallback: number) {
  return z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw.trim() === '') return fallback;
      const n = Number(raw);
      if (!/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `${name} must be an integer ${min}-${max}, got ${show(raw)}` });
        return z.NEVER;
      }
      return n;
    });
}

function num(name: string, min: number, max: number, fallback: number) {
  return z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw.trim() === '') return fallback;
      const n = Number(raw);
      if (!Number.isFinite(n) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `${name} must be a number ${min}-${max}, got ${show(raw)}` });
        return z.NEVER;
      }
      return n;
    });
}

function bool(name: string, fallback: boolean | undefined) {
  return z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw.trim() === '') return fallback;
      const v = raw.trim().toLowerCase();
      if (BOOL_TRUE.has(v)) return true;
      if (BOOL_FALSE.has(v)) return false;
      ctx.addIssue({ code: 'custom', message: `${name} must be true or false, got ${show(raw)}` });
      return z.NEVER;
    });
}

function oneOf<const T extends readonly [string, ...string[]]>(name: string, values: T, fallback?: T[number]) {
  return z
    .string()
    .optional()
    .transform((raw, ctx): T[number] | undefined => {
      if (raw === undefined || raw.trim() === '') return fallback;
      const v = raw.trim();
      if ((values as readonly string[]).includes(v)) return v;
      ctx.addIssue({ code: 'custom', message: `${name} must be one of ${values.join('|')}, got ${show(raw)}` });
      return z.NEVER;
    });
}

function url(name: string, protocols: readonly string[]) {
  return z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw.trim() === '') return undefined;
      try {
        const parsed = new URL(raw);
        if (!protocols.includes(parsed.protocol)) throw new Error('protocol');
        return raw.trim();
      } catch {
        ctx.addIssue({
          code: 'custom',
          message: `${name} must be a ${protocols.map((p) => p.replace(':', '://')).join(' or ')} URL, got ${show(redactUrl(raw))}`,
        });
        return z.NEVER;
      }
    });
}

function text(fallback?: string) {
  return z
    .string()
    .optional()
    .transform((raw) => (raw === undefined || raw.trim() === '' ? fallback : raw.trim()));
}

function list(fallback: string[]) {
  return z
    .string()
    .optional()
    .transform((raw) =>
      raw === undefined || raw.trim() === ''
        ? fallback
        : raw
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean),
    );
}

function byteSize(name: string, fallback: number) {
  return z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw.trim() === '') return fallback;
      const m = /^(\d+)\s*(b|kb|mb|gb)?$/i.exec(raw.trim());
      const unit = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 }[(m?.[2] ?? 'b').toLowerCase() as 'b'];
      const bytes = m ? Number(m[1]) * unit : NaN;
      if (!Number.isSafeInteger(bytes) || bytes < 1024 || bytes > 1024 ** 3) {
        ctx.addIssue({
          code: 'custom',
          message: `${name} must be a size between 1kb and 1gb (e.g. 1048576 or 1mb), got ${show(raw)}`,
        });
        return z.NEVER;
      }
      return bytes;
    });
}

/** Hides the password of a connection URL so it can be printed. */
export function redactUrl(raw: string): string {
  try {
    const u = new URL(raw);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return raw.replace(/\/\/[^@/]*@/, '//***@');
  }
}

export const envSchema = z.object({
  NODE_ENV: oneOf('NODE_ENV', ['development', 'production', 'test'] as const, 'development'),
  HOST: text('0.0.0.0'),
  PORT: int('PORT', 1, 65535, 3000),
  PUBLIC_URL: url('PUBLIC_URL', ['http:', 'https:']),
  LOG_LEVEL: oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
  LOG_FORMAT: oneOf('LOG_FORMAT', ['json', 'pretty'] as const),
  GIT_COMMIT: text(),

  DATABASE_URL: url('DATABASE_URL', ['postgres:', 'postgresql:']),
  DATABASE_POOL_SIZE: int('DATABASE_POOL_SIZE', 1, 500, 10),
  DATABASE_IDLE_TIMEOUT_MS: int('DATABASE_IDLE_TIMEOUT_MS', 1000, 3_600_000, 30_000),
  DATABASE_CONNECTION_TIMEOUT_MS: int('DATABASE_CONNECTION_TIMEOUT_MS', 100, 120_000, 3_000),
  DATABASE_STATEMENT_TIMEOUT_MS: int('DATABASE_STATEMENT_TIMEOUT_MS', 100, 3_600_000, 30_000),
  DATABASE_SSL: bool('DATABASE_SSL', false),
  DATA_DIR: text('./.data'),
  EMBEDDED_PG_PORT: int('EMBEDDED_PG_PORT', 0, 65535, 0),

  REDIS_URL: url('REDIS_URL', ['redis:', 'rediss:']),
  QUEUE_PREFIX: text('quant'),
  WORKER_CONCURRENCY: int('WORKER_CONCURRENCY', 1, 256, 2),
  RUN_WORKER_IN_API: bool('RUN_WORKER_IN_API', undefined),
  WORKER_HEALTH_PORT: int('WORKER_HEALTH_PORT', 1, 65535, 3001),
  WORKER_HEARTBEAT_INTERVAL_MS: int('WORKER_HEARTBEAT_INTERVAL_MS', 500, 60_000, 5_000),
  WORKER_SHUTDOWN_TIMEOUT_MS: int('WORKER_SHUTDOWN_TIMEOUT_MS', 0, 600_000, 25_000),

  SHUTDOWN_TIMEOUT_MS: int('SHUTDOWN_TIMEOUT_MS', 0, 600_000, 8_000),
  DEPENDENCY_TIMEOUT_MS: int('DEPENDENCY_TIMEOUT_MS', 100, 60_000, 2_000),
  BODY_LIMIT: byteSize('BODY_LIMIT', 1024 * 1024),
  CORS_ORIGINS: list([]),
  TRUST_PROXY: list([]),

  JWT_SECRET: text(),
  ENCRYPTION_KEY: text(),
  ENCRYPTION_KEY_PREVIOUS: text(),
  ENCRYPTION_KEY_VERSION: int('ENCRYPTION_KEY_VERSION', 1, 1_000_000, 1),
  OPS_TOKEN: text(),
  METRICS_TOKEN: text(),

  JWT_ISSUER: text('quant-backend'),
  JWT_AUDIENCE: text('quant-api'),
  ARGON2_MEMORY_KIB: int('ARGON2_MEMORY_KIB', 1024, 4_194_304, 19_456),
  ARGON2_TIME_COST: int('ARGON2_TIME_COST', 1, 20, 2),
  ADMIN_EMAIL: text('admin@localhost.localdomain'),
  ADMIN_PASSWORD: text(),
  EVENT_LOOP_LAG_WARN_MS: num('EVENT_LOOP_LAG_WARN_MS', 1, 60_000, 200),

  THROTTLE_WINDOW_SECONDS: int('THROTTLE_WINDOW_SECONDS', 1, 86_400, 60),
  THROTTLE_DEFAULT_LIMIT: int('THROTTLE_DEFAULT_LIMIT', 1, 10_000_000, 100),
  THROTTLE_LOGIN_LIMIT: int('THROTTLE_LOGIN_LIMIT', 1, 10_000_000, 5),
  THROTTLE_REGISTER_LIMIT: int('THROTTLE_REGISTER_LIMIT', 1, 10_000_000, 3),
  THROTTLE_AI_CHAT_LIMIT: int('THROTTLE_AI_CHAT_LIMIT', 1, 10_000_000, 10),
  THROTTLE_BACKTEST_LIMIT: int('THROTTLE_BACKTEST_LIMIT', 1, 10_000_000, 5),
  THROTTLE_MARKET_DATA_LIMIT: int('THROTTLE_MARKET_DATA_LIMIT', 1, 10_000_000, 1000),
  THROTTLE_ELITE_MULTIPLIER: num('THROTTLE_ELITE_MULTIPLIER', 1, 1000, 5),

  MARKET_IMPORT_MAX_BYTES: byteSize('MARKET_IMPORT_MAX_BYTES', 256 * 1024 ** 2),
  MARKET_CACHE_L1_BYTES: byteSize('MARKET_CACHE_L1_BYTES', 64 * 1024 ** 2),
  MARKET_CACHE_TTL_SECONDS: int('MARKET_CACHE_TTL_SECONDS', 1, 86_400, 300),
  MARKET_MAX_CANDLES: int('MARKET_MAX_CANDLES', 10, 1_000_000, 5_000),
  MARKET_DEMO_DATA: bool('MARKET_DEMO_DATA', undefined),
});

export type Env = z.infer<typeof envSchema>;

/** Names of every variable the product reads. */
export const KNOWN_ENV_VARS: readonly string[] = Object.keys(envSchema.shape);
