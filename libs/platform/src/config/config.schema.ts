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

/** A size in bytes (`1048576`, `64mb`) from 1kb to 1gb; `allowZero` also accepts 0 (= off). */
function byteSize(name: string, fallback: number, allowZero = false) {
  return z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw.trim() === '') return fallback;
      const m = /^(\d+)\s*(b|kb|mb|gb)?$/i.exec(raw.trim());
      const unit = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 }[(m?.[2] ?? 'b').toLowerCase() as 'b'];
      const bytes = m ? Number(m[1]) * unit : NaN;
      if (allowZero && bytes === 0) return 0;
      if (!Number.isSafeInteger(bytes) || bytes < 1024 || bytes > 1024 ** 3) {
        ctx.addIssue({
          code: 'custom',
          message: `${name} must be a size between 1kb and 1gb (e.g. 1048576 or 1mb)${allowZero ? ' or 0' : ''}, got ${show(raw)}`,
        });
        return z.NEVER;
      }
      return bytes;
    });
}

/** One series the exchange sync keeps up to date (an entry of MARKET_SYNC). */
export interface MarketSyncSeries {
  /** ccxt exchange id, lower case (`binance`). */
  exchange: string;
  /** `BASE/QUOTE`, upper case. */
  symbol: string;
  /** Candle timeframe as written (`1m`, `4h`). */
  timeframe: string;
  /** Also fetch trade prints. */
  trades: boolean;
}

const SYNC_EXCHANGE = /^[a-z0-9][a-z0-9_.-]{0,31}$/;
const SYNC_SYMBOL = /^[A-Z0-9._-]{1,20}\/[A-Z0-9._-]{1,20}$/;
const SYNC_TIMEFRAME = /^([1-9]\d*)([smhdw])$/;
const SYNC_UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const SYNC_FORMAT = 'exchange:BASE/QUOTE:timeframe[:trades], e.g. binance:BTC/USDT:1m:trades';

/** Why one MARKET_SYNC entry is not valid, or its series. */
function syncEntry(entry: string): MarketSyncSeries | string {
  const parts = entry.split(':').map((p) => p.trim());
  if (parts.length < 3 || parts.length > 4) return `expected ${SYNC_FORMAT}`;
  const [rawExchange, rawSymbol, timeframe, suffix] = parts;
  const exchange = rawExchange.toLowerCase();
  const symbol = rawSymbol.toUpperCase();
  if (!SYNC_EXCHANGE.test(exchange)) return `${show(rawExchange)} is not an exchange id`;
  if (!SYNC_SYMBOL.test(symbol)) return `${show(rawSymbol)} is not a symbol in BASE/QUOTE form`;
  const tf = SYNC_TIMEFRAME.exec(timeframe);
  const ms = tf ? Number(tf[1]) * SYNC_UNIT_MS[tf[2]] : NaN;
  if (!(ms >= 1_000 && ms <= SYNC_UNIT_MS.w))
    return `${show(timeframe)} is not a timeframe from 1s to 1w (e.g. 1m, 4h, 1d)`;
  if (suffix !== undefined && suffix.toLowerCase() !== 'trades')
    return `unknown option ${show(suffix)} (only "trades")`;
  return { exchange, symbol, timeframe, trades: suffix !== undefined };
}

function marketSync(name: string) {
  return z
    .string()
    .optional()
    .transform((raw, ctx) => {
      const series: MarketSyncSeries[] = [];
      const entries = (raw ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      for (const entry of entries) {
        const parsed = syncEntry(entry);
        if (typeof parsed === 'string') {
          ctx.addIssue({ code: 'custom', message: `${name} entry ${show(entry)}: ${parsed}` });
          continue;
        }
        // One instrument stores one candle timeframe: two entries for a market would fight over it.
        if (series.some((s) => s.exchange === parsed.exchange && s.symbol === parsed.symbol)) {
          ctx.addIssue({
            code: 'custom',
            message: `${name} entry ${show(entry)}: ${parsed.symbol} on ${parsed.exchange} is listed twice`,
          });
          continue;
        }
        series.push(parsed);
      }
      return series;
    });
}

/** `exchange=http://host:port` pairs: the REST origin that replaces the exchange's own. */
function exchangeUrls(name: string) {
  return z
    .string()
    .optional()
    .transform((raw, ctx) => {
      const urls: Record<string, string> = {};
      const entries = (raw ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      for (const entry of entries) {
        const eq = entry.indexOf('=');
        const exchange = entry.slice(0, Math.max(0, eq)).trim().toLowerCase();
        const value = entry.slice(eq + 1).trim();
        let ok = eq > 0 && SYNC_EXCHANGE.test(exchange);
        try {
          ok &&= ['http:', 'https:'].includes(new URL(value).protocol);
        } catch {
          ok = false;
        }
        if (!ok) {
          ctx.addIssue({
            code: 'custom',
            message: `${name} entry ${show(redactUrl(entry))} must look like exchange=http://host:port`,
          });
          continue;
        }
        urls[exchange] = value.replace(/\/+$/, '');
      }
      return urls;
    });
}

/** An ISO 8601 date or date-time (with Z or an offset); epoch milliseconds. */
function isoDate(name: string) {
  return z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw.trim() === '') return undefined;
      const value = raw.trim();
      const ms = Date.parse(value);
      const shape = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2}))?$/;
      if (!shape.test(value) || !Number.isFinite(ms)) {
        ctx.addIssue({
          code: 'custom',
          message: `${name} must be an ISO date (2024-01-01 or 2024-01-01T00:00:00Z), got ${show(raw)}`,
        });
        return z.NEVER;
      }
      return ms;
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
  // Unset: 127.0.0.1 in embedded mode, 0.0.0.0 with DATABASE_URL (AppConfig.host).
  HOST: text(),
  PORT: int('PORT', 1, 65535, 3000),
  PUBLIC_URL: url('PUBLIC_URL', ['http:', 'https:']),
  LOG_LEVEL: oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
  LOG_FORMAT: oneOf('LOG_FORMAT', ['json', 'pretty'] as const),
  LOG_REQUEST_CONTEXT: oneOf('LOG_REQUEST_CONTEXT', ['auto', 'on', 'off'] as const, 'auto'),
  // Node's own; read to see whether AsyncLocalStorage runs on the async context frame.
  NODE_OPTIONS: text(),
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
  HTTP_HEADERS_TIMEOUT_MS: int('HTTP_HEADERS_TIMEOUT_MS', 1_000, 600_000, 10_000),
  HTTP_REQUEST_TIMEOUT_MS: int('HTTP_REQUEST_TIMEOUT_MS', 1_000, 3_600_000, 120_000),
  HTTP_IDLE_TIMEOUT_MS: int('HTTP_IDLE_TIMEOUT_MS', 1_000, 600_000, 72_000),
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
  AUTH_SESSION_CACHE_SECONDS: int('AUTH_SESSION_CACHE_SECONDS', 1, 300, 5),
  AUTH_REFRESH_GRACE_SECONDS: int('AUTH_REFRESH_GRACE_SECONDS', 0, 300, 10),
  ARGON2_MEMORY_KIB: int('ARGON2_MEMORY_KIB', 1024, 4_194_304, 19_456),
  ARGON2_TIME_COST: int('ARGON2_TIME_COST', 1, 20, 2),
  ADMIN_EMAIL: text('admin@localhost.localdomain'),
  ADMIN_PASSWORD: text(),
  EVENT_LOOP_LAG_WARN_MS: num('EVENT_LOOP_LAG_WARN_MS', 1, 60_000, 200),

  THROTTLE_WINDOW_SECONDS: int('THROTTLE_WINDOW_SECONDS', 1, 86_400, 60),
  THROTTLE_DEFAULT_LIMIT: int('THROTTLE_DEFAULT_LIMIT', 1, 10_000_000, 100),
  THROTTLE_LOGIN_LIMIT: int('THROTTLE_LOGIN_LIMIT', 1, 10_000_000, 5),
  THROTTLE_LOGIN_IP_LIMIT: int('THROTTLE_LOGIN_IP_LIMIT', 1, 10_000_000, 30),
  THROTTLE_AUTH_FAILURE_LIMIT: int('THROTTLE_AUTH_FAILURE_LIMIT', 1, 10_000_000, 20),
  THROTTLE_REGISTER_LIMIT: int('THROTTLE_REGISTER_LIMIT', 1, 10_000_000, 3),
  THROTTLE_AI_CHAT_LIMIT: int('THROTTLE_AI_CHAT_LIMIT', 1, 10_000_000, 10),
  THROTTLE_BACKTEST_LIMIT: int('THROTTLE_BACKTEST_LIMIT', 1, 10_000_000, 5),
  THROTTLE_MARKET_DATA_LIMIT: int('THROTTLE_MARKET_DATA_LIMIT', 1, 10_000_000, 1000),
  THROTTLE_ELITE_MULTIPLIER: num('THROTTLE_ELITE_MULTIPLIER', 1, 1000, 5),

  MARKET_IMPORT_MAX_BYTES: byteSize('MARKET_IMPORT_MAX_BYTES', 256 * 1024 ** 2),
  MARKET_CACHE_L1_BYTES: byteSize('MARKET_CACHE_L1_BYTES', 64 * 1024 ** 2),
  MARKET_CACHE_TTL_SECONDS: int('MARKET_CACHE_TTL_SECONDS', 1, 86_400, 300),
  MARKET_MAX_CANDLES: int('MARKET_MAX_CANDLES', 10, 1_000_000, 5_000),
  MARKET_IMPORT_LOCK_MS: int('MARKET_IMPORT_LOCK_MS', 1_000, 600_000, 60_000),
  MARKET_READ_CONCURRENCY: int('MARKET_READ_CONCURRENCY', 0, 1_000, 0),
  MARKET_READ_WAIT_MS: int('MARKET_READ_WAIT_MS', 0, 60_000, 1_000),
  MARKET_READ_COST_BUDGET: int('MARKET_READ_COST_BUDGET', 1, 100_000_000, 20_000),
  MARKET_READ_COST_WINDOW_SECONDS: int('MARKET_READ_COST_WINDOW_SECONDS', 1, 86_400, 60),
  MARKET_DEMO_DATA: bool('MARKET_DEMO_DATA', undefined),
  MARKET_SYNC: marketSync('MARKET_SYNC'),
  MARKET_SYNC_EVERY_MS: int('MARKET_SYNC_EVERY_MS', 1_000, 86_400_000, 60_000),
  MARKET_SYNC_START: isoDate('MARKET_SYNC_START'),
  MARKET_SYNC_EXCHANGE_URLS: exchangeUrls('MARKET_SYNC_EXCHANGE_URLS'),

  ANTHROPIC_API_KEY: text(),
  ANTHROPIC_MODEL: text('claude-sonnet-5-5'),
  ANTHROPIC_BASE_URL: url('ANTHROPIC_BASE_URL', ['http:', 'https:']),
  AI_MAX_TOKENS: int('AI_MAX_TOKENS', 64, 64_000, 2_048),
  AI_TIMEOUT_MS: int('AI_TIMEOUT_MS', 100, 600_000, 60_000),
  AI_MAX_RETRIES: int('AI_MAX_RETRIES', 0, 10, 2),
  AI_HISTORY_TOKEN_BUDGET: int('AI_HISTORY_TOKEN_BUDGET', 1_000, 1_000_000, 24_000),
  AI_MAX_TOOL_ROUNDS: int('AI_MAX_TOOL_ROUNDS', 1, 20, 6),
  AI_PROPOSAL_MAX_CORRECTIONS: int('AI_PROPOSAL_MAX_CORRECTIONS', 0, 10, 2),
  AI_DAILY_MESSAGES_BASIC: int('AI_DAILY_MESSAGES_BASIC', 1, 10_000_000, 20),
  AI_DAILY_MESSAGES_PRO: int('AI_DAILY_MESSAGES_PRO', 1, 10_000_000, 200),
  AI_DAILY_MESSAGES_ELITE: int('AI_DAILY_MESSAGES_ELITE', 1, 10_000_000, 2_000),

  BACKTEST_CONCURRENCY: int('BACKTEST_CONCURRENCY', 1, 256, 4),
  BACKTEST_ENGINE_THREADS: int('BACKTEST_ENGINE_THREADS', 0, 64, 0),
  BACKTEST_MAX_BARS: int('BACKTEST_MAX_BARS', 1_000, 50_000_000, 3_000_000),
  BACKTEST_MAX_TRADES: int('BACKTEST_MAX_TRADES', 1_000, 100_000_000, 10_000_000),
  BACKTEST_ATTEMPTS: int('BACKTEST_ATTEMPTS', 1, 10, 3),
  BACKTEST_LOCK_MS: int('BACKTEST_LOCK_MS', 1_000, 600_000, 30_000),
  BACKTEST_PROGRESS_INTERVAL_MS: int('BACKTEST_PROGRESS_INTERVAL_MS', 0, 60_000, 250),
  BACKTEST_DATA_CACHE_BYTES: byteSize('BACKTEST_DATA_CACHE_BYTES', 128 * 1024 ** 2, true),
  BACKTEST_STREAM_CHUNK_ROWS: int('BACKTEST_STREAM_CHUNK_ROWS', 1, 10_000_000, 65_536),
});

export type Env = z.infer<typeof envSchema>;

/** Names of every variable the product reads. */
export const KNOWN_ENV_VARS: readonly string[] = Object.keys(envSchema.shape);
