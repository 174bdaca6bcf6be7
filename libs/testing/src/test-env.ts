import { randomUUID } from 'node:crypto';
import * as path from 'node:path';

/**
 * Where end-to-end tests find PostgreSQL and Redis. Defaults match the CI
 * machine (trust auth on 127.0.0.1); override with TEST_DATABASE_URL / TEST_REDIS_URL.
 */
export const TEST_ADMIN_DATABASE_URL =
  process.env.TEST_ADMIN_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/quant_e2e';
/** The database the e2e global set-up drops and recreates: the one TEST_DATABASE_URL names. */
export const TEST_DATABASE_NAME = decodeURIComponent(new URL(TEST_DATABASE_URL).pathname.slice(1));
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';

export const REPO_ROOT = path.resolve(__dirname, '../../..');

/** A queue prefix no other test run shares, so Redis keys never collide. */
export function uniquePrefix(label: string): string {
  return `t-${label}-${randomUUID().slice(0, 8)}`;
}

/** Baseline environment for an app under test: quiet logs, the test database, generous rate limits. */
export function testEnv(overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    LOG_FORMAT: 'json',
    DATABASE_URL: TEST_DATABASE_URL,
    DATABASE_POOL_SIZE: '5',
    DEPENDENCY_TIMEOUT_MS: '1500',
    // Time to finish a new connection's handshake. A refused one (PostgreSQL down) fails at once
    // whatever this is; 1.5 s was seen to run out while a suite's app loaded ccxt and its engine
    // threads on both cores of the CI machine.
    DATABASE_CONNECTION_TIMEOUT_MS: '5000',
    WORKER_HEARTBEAT_INTERVAL_MS: '1000',
    WORKER_SHUTDOWN_TIMEOUT_MS: '5000',
    // Suites log in and register many times from one address; throttle tests set low limits themselves.
    THROTTLE_DEFAULT_LIMIT: '1000000',
    THROTTLE_LOGIN_LIMIT: '1000000',
    THROTTLE_LOGIN_IP_LIMIT: '1000000',
    THROTTLE_AUTH_FAILURE_LIMIT: '1000000',
    THROTTLE_REGISTER_LIMIT: '1000000',
    THROTTLE_BACKTEST_LIMIT: '1000000',
    ...overrides,
  };
}
