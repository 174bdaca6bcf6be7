import * as path from 'node:path';
import { Env, envSchema } from './config.schema';

export type RunMode = 'embedded' | 'external';
export type QueueBackendKind = 'redis' | 'postgres';

/** Thrown when the environment is invalid; `problems` holds one line per rule broken. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

const MIN_JWT_SECRET_BYTES = 32;

/** Decodes ENCRYPTION_KEY: 64 hex characters or base64 of 32 bytes. */
export function decodeEncryptionKey(raw: string): Buffer | undefined {
  if (/^[0-9a-fA-F]{64}$/.test(raw)) return Buffer.from(raw, 'hex');
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(raw)) {
    const buf = Buffer.from(raw, 'base64');
    if (buf.length === 32) return buf;
  }
  return undefined;
}

/**
 * The validated configuration. One instance per process, built by `loadConfig`
 * and provided to Nest as `AppConfig`.
 */
export class AppConfig {
  readonly env: Env;
  /** `embedded` when DATABASE_URL is unset: the app starts its own PostgreSQL. */
  readonly runMode: RunMode;
  readonly queueBackend: QueueBackendKind;
  readonly isProduction: boolean;
  readonly logFormat: 'json' | 'pretty';
  /** Run BullMQ workers inside the API process (default in embedded mode). */
  readonly runWorkerInApi: boolean;
  readonly dataDir: string;
  /**
   * The interface the API listens on: HOST, else loopback in embedded mode,
   * whose admin account is freshly generated and must not face the network
   * before its owner has seen it; every interface with an external database.
   */
  readonly host: string;

  constructor(env: Env) {
    this.env = env;
    this.runMode = env.DATABASE_URL ? 'external' : 'embedded';
    this.queueBackend = env.REDIS_URL ? 'redis' : 'postgres';
    this.isProduction = env.NODE_ENV === 'production';
    this.logFormat = env.LOG_FORMAT ?? (this.isProduction ? 'json' : 'pretty');
    this.runWorkerInApi = env.RUN_WORKER_IN_API ?? this.runMode === 'embedded';
    this.dataDir = path.resolve(env.DATA_DIR ?? './.data');
    this.host = env.HOST ?? (this.runMode === 'embedded' ? '127.0.0.1' : '0.0.0.0');
  }

  /** Builds a copy with some variables replaced (tests use it). */
  with(overrides: Partial<Env>): AppConfig {
    return new AppConfig({ ...this.env, ...overrides });
  }
}

/**
 * Validates `source` (normally `process.env`) and returns the configuration, or
 * throws a ConfigError naming every variable that is wrong and the rule it broke.
 */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): AppConfig {
  const parsed = envSchema.safeParse(pickKnown(source));
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => i.message));
  }
  const env = parsed.data;
  const problems: string[] = [];
  if (env.NODE_ENV === 'production') {
    if (!env.DATABASE_URL) problems.push('DATABASE_URL is required when NODE_ENV=production');
    if (!env.JWT_SECRET) problems.push('JWT_SECRET is required when NODE_ENV=production');
    if (!env.ENCRYPTION_KEY) problems.push('ENCRYPTION_KEY is required when NODE_ENV=production');
    if (env.MARKET_DEMO_DATA === true) problems.push('MARKET_DEMO_DATA must not be true when NODE_ENV=production');
  }
  if (env.JWT_SECRET !== undefined && Buffer.byteLength(env.JWT_SECRET, 'utf8') < MIN_JWT_SECRET_BYTES) {
    problems.push(
      `JWT_SECRET must be at least ${MIN_JWT_SECRET_BYTES} bytes, got ${Buffer.byteLength(env.JWT_SECRET)} bytes`,
    );
  }
  if (env.ENCRYPTION_KEY !== undefined && !decodeEncryptionKey(env.ENCRYPTION_KEY)) {
    problems.push('ENCRYPTION_KEY must be 32 bytes as 64 hex characters or base64, got a value of another shape');
  }
  if (env.ENCRYPTION_KEY_PREVIOUS !== undefined) {
    if (!decodeEncryptionKey(env.ENCRYPTION_KEY_PREVIOUS)) {
      problems.push(
        'ENCRYPTION_KEY_PREVIOUS must be 32 bytes as 64 hex characters or base64, got a value of another shape',
      );
    }
    if (env.ENCRYPTION_KEY === undefined) problems.push('ENCRYPTION_KEY_PREVIOUS needs ENCRYPTION_KEY to be set');
    // The previous key is version ENCRYPTION_KEY_VERSION - 1, so a rotation must bump the version.
    if (env.ENCRYPTION_KEY_VERSION < 2) {
      problems.push('ENCRYPTION_KEY_PREVIOUS needs ENCRYPTION_KEY_VERSION of 2 or more (it holds version - 1)');
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return new AppConfig(env);
}

function pickKnown(source: NodeJS.ProcessEnv): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const key of Object.keys(envSchema.shape)) out[key] = source[key];
  return out;
}
