import * as fs from 'node:fs';
import * as path from 'node:path';
import { configProblems } from '@app/testing';
import { loadConfig } from './app-config';
import { KNOWN_ENV_VARS } from './config.schema';

const problemsOf = configProblems;

describe('loadConfig', () => {
  it('gives the documented defaults for an empty environment', () => {
    const config = loadConfig({});
    expect(config.env.PORT).toBe(3000);
    expect(config.env.BODY_LIMIT).toBe(1024 * 1024);
    expect(config.runMode).toBe('embedded');
    expect(config.queueBackend).toBe('postgres');
    expect(config.runWorkerInApi).toBe(true);
    expect(config.logFormat).toBe('pretty');
  });

  it('listens on loopback in embedded mode unless HOST says otherwise, on every interface with a database', () => {
    expect(loadConfig({}).host).toBe('127.0.0.1');
    expect(loadConfig({ HOST: '0.0.0.0' }).host).toBe('0.0.0.0');
    expect(loadConfig({ DATABASE_URL: 'postgresql://db/app' }).host).toBe('0.0.0.0');
    expect(loadConfig({ DATABASE_URL: 'postgresql://db/app', HOST: '10.0.0.5' }).host).toBe('10.0.0.5');
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT must be an integer 1-65535, got "abc"'],
    [{ PORT: '70000' }, 'PORT must be an integer 1-65535, got "70000"'],
    [{ WORKER_CONCURRENCY: '0' }, 'WORKER_CONCURRENCY must be an integer 1-256, got "0"'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL must be one of fatal|error|warn|info|debug|trace|silent, got "loud"'],
    [{ DATABASE_URL: 'mysql://x/y' }, 'DATABASE_URL must be a postgres:// or postgresql:// URL, got "mysql://x/y"'],
    [{ REDIS_URL: 'nope' }, 'REDIS_URL must be a redis:// or rediss:// URL, got "nope"'],
    [{ DATABASE_SSL: 'maybe' }, 'DATABASE_SSL must be true or false, got "maybe"'],
    [{ BODY_LIMIT: '5tb' }, 'BODY_LIMIT must be a size between 1kb and 1gb (e.g. 1048576 or 1mb), got "5tb"'],
    [{ BODY_LIMIT: '0' }, 'BODY_LIMIT must be a size between 1kb and 1gb (e.g. 1048576 or 1mb), got "0"'],
    [
      { BACKTEST_DATA_CACHE_BYTES: '2gb' },
      'BACKTEST_DATA_CACHE_BYTES must be a size between 1kb and 1gb (e.g. 1048576 or 1mb) or 0, got "2gb"',
    ],
    [{ JWT_SECRET: 'short' }, 'JWT_SECRET must be at least 32 bytes, got 5 bytes'],
  ])('rejects %j naming the variable and the rule', (env, message) => {
    expect(problemsOf(env)).toContain(message);
  });

  it('takes 0 for a size that may be turned off', () => {
    expect(problemsOf({ BACKTEST_DATA_CACHE_BYTES: '0' })).toEqual([]);
  });

  it('never prints the password of a rejected URL', () => {
    const problems = problemsOf({ DATABASE_URL: 'mysql://user:hunter2@db/x' });
    expect(problems.join('\n')).not.toContain('hunter2');
  });

  it('reports every problem at once', () => {
    expect(problemsOf({ PORT: 'x', WORKER_CONCURRENCY: 'y' })).toHaveLength(2);
  });

  it('refuses production without DATABASE_URL, JWT_SECRET and ENCRYPTION_KEY', () => {
    expect(problemsOf({ NODE_ENV: 'production' })).toEqual([
      'DATABASE_URL is required when NODE_ENV=production',
      'JWT_SECRET is required when NODE_ENV=production',
      'ENCRYPTION_KEY is required when NODE_ENV=production',
    ]);
  });

  it('refuses demo data in production', () => {
    const production = {
      NODE_ENV: 'production',
      DATABASE_URL: 'postgresql://u:p@db:5432/quant',
      JWT_SECRET: 's'.repeat(32),
      ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
    };
    expect(problemsOf({ ...production, MARKET_DEMO_DATA: 'true' })).toEqual([
      'MARKET_DEMO_DATA must not be true when NODE_ENV=production',
    ]);
    expect(problemsOf({ ...production, MARKET_DEMO_DATA: 'false' })).toEqual([]);
    expect(problemsOf({ NODE_ENV: 'test', DATABASE_URL: production.DATABASE_URL, MARKET_DEMO_DATA: 'true' })).toEqual(
      [],
    );
  });

  it('accepts a complete production environment', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      DATABASE_URL: 'postgresql://u:p@db:5432/quant',
      REDIS_URL: 'redis://redis:6379',
      JWT_SECRET: 's'.repeat(32),
      ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
    });
    expect(config.runMode).toBe('external');
    expect(config.queueBackend).toBe('redis');
    expect(config.runWorkerInApi).toBe(false);
    expect(config.logFormat).toBe('json');
  });

  it('rejects an ENCRYPTION_KEY that is not 32 bytes', () => {
    expect(problemsOf({ ENCRYPTION_KEY: 'abcd' })[0]).toMatch(/^ENCRYPTION_KEY must be 32 bytes/);
  });

  it('accepts a previous encryption key only beside a current one and a bumped version', () => {
    const key = 'a'.repeat(64);
    expect(
      problemsOf({ ENCRYPTION_KEY: key, ENCRYPTION_KEY_PREVIOUS: 'b'.repeat(64), ENCRYPTION_KEY_VERSION: '2' }),
    ).toEqual([]);
    expect(problemsOf({ ENCRYPTION_KEY_PREVIOUS: 'b'.repeat(64), ENCRYPTION_KEY_VERSION: '2' })).toEqual([
      'ENCRYPTION_KEY_PREVIOUS needs ENCRYPTION_KEY to be set',
    ]);
    expect(problemsOf({ ENCRYPTION_KEY: key, ENCRYPTION_KEY_PREVIOUS: 'b'.repeat(64) })).toEqual([
      'ENCRYPTION_KEY_PREVIOUS needs ENCRYPTION_KEY_VERSION of 2 or more (it holds version - 1)',
    ]);
    expect(
      problemsOf({ ENCRYPTION_KEY: key, ENCRYPTION_KEY_PREVIOUS: 'short', ENCRYPTION_KEY_VERSION: '2' })[0],
    ).toMatch(/^ENCRYPTION_KEY_PREVIOUS must be 32 bytes/);
  });
});

describe('.env.example', () => {
  const text = fs.readFileSync(path.resolve(__dirname, '../../../../.env.example'), 'utf8');
  // The tests-only section documents TEST_* variables that the app never reads.
  const appPart = text.split('# --- Tests only')[0];
  const documented = [...appPart.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]);

  it('documents every variable of the schema, each with a comment', () => {
    expect([...documented].sort()).toEqual([...KNOWN_ENV_VARS].sort());
    for (const name of KNOWN_ENV_VARS) {
      expect(text).toMatch(new RegExp(`#[^\\n]*\\n${name}=`));
    }
  });

  it('documents the variables the test suites read', () => {
    const testPart = text.split('# --- Tests only')[1] ?? '';
    for (const name of ['TEST_DATABASE_URL', 'TEST_ADMIN_DATABASE_URL', 'TEST_REDIS_URL']) {
      expect(testPart).toMatch(new RegExp(`#[^\\n]*\\n${name}=`));
    }
  });

  it('holds values the schema accepts', () => {
    const env = Object.fromEntries([...appPart.matchAll(/^([A-Z][A-Z0-9_]*)=(.*)$/gm)].map((m) => [m[1], m[2]]));
    expect(() => loadConfig(env)).not.toThrow();
  });
});

describe('docs/configuration.md', () => {
  it('names every configuration variable', () => {
    const reference = fs.readFileSync(path.resolve(__dirname, '../../../../docs/configuration.md'), 'utf8');
    expect(KNOWN_ENV_VARS.filter((name) => !reference.includes(`\`${name}\``))).toEqual([]);
  });
});
