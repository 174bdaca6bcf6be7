import { execFileSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { applyMigrations, loadConfig } from '@app/platform';
import {
  REPO_ROOT,
  TEST_ADMIN_DATABASE_URL,
  TEST_DATABASE_NAME,
  TEST_DATABASE_URL,
  TEST_REDIS_URL,
  testEnv,
} from '@app/testing';

/**
 * Runs once before the end-to-end suites: checks that PostgreSQL and Redis
 * answer, recreates the test database, applies every migration (ours and
 * BullMQ's PostgreSQL schema), and builds dist/ for tests that spawn processes.
 */
export default async function globalSetup(): Promise<void> {
  const admin = new Client({ connectionString: TEST_ADMIN_DATABASE_URL, connectionTimeoutMillis: 5_000 });
  try {
    await admin.connect();
  } catch (err) {
    throw new Error(`PostgreSQL is not reachable at ${TEST_ADMIN_DATABASE_URL}: ${(err as Error).message}`);
  }
  await admin.query(
    `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
    [TEST_DATABASE_NAME],
  );
  await admin.query(`DROP DATABASE IF EXISTS "${TEST_DATABASE_NAME}"`);
  await admin.query(`CREATE DATABASE "${TEST_DATABASE_NAME}"`);
  await admin.end();

  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 5_000 });
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    throw new Error(`Redis is not reachable at ${TEST_REDIS_URL}: ${(err as Error).message}`);
  } finally {
    redis.disconnect();
  }

  await applyMigrations(loadConfig(testEnv()), TEST_DATABASE_URL);
  execFileSync(process.execPath, ['scripts/build.js', '--if-stale', '--quiet'], { cwd: REPO_ROOT, stdio: 'inherit' });
}
