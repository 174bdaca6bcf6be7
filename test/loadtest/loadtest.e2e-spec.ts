import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { REPO_ROOT, TEST_REDIS_URL, uniquePrefix } from '@app/testing';
import type { LoadReport } from '../../bench/loadtest/load-plan';
import { storeSyntheticCandles } from '../support/backtest-fixtures';
import { TestApi, createTestApi } from '../support/test-app';

/**
 * `npm run loadtest` (the built tool, as a process) against the real API with its workers: every
 * step of the mixed scenario is sent and answered, and the JSON report says so. Loads are tiny:
 * this proves the tool, `npm run loadtest` against a deployment measures.
 */

const TOOL = path.join(REPO_ROOT, 'dist/bench/loadtest/loadtest.js');

function runTool(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [TOOL, ...args], { timeout: 120_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('npm run loadtest', () => {
  let api: TestApi;
  let url: string;

  beforeAll(async () => {
    api = await createTestApi({
      env: {
        REDIS_URL: TEST_REDIS_URL,
        QUEUE_PREFIX: uniquePrefix('loadtest'),
        RUN_WORKER_IN_API: 'true',
        THROTTLE_DEFAULT_LIMIT: '100000',
        THROTTLE_LOGIN_LIMIT: '100000',
        THROTTLE_REGISTER_LIMIT: '100',
        THROTTLE_BACKTEST_LIMIT: '100000',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'silent',
      },
    });
    await storeSyntheticCandles(api, 'loadtest', 'LT/USD', 3 * 24 * 60, Date.UTC(2024, 0, 4));
    await api.app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(api.app.getHttpServer().address() as AddressInfo).port}`;
  }, 90_000);
  afterAll(async () => {
    await api?.close();
  });

  it('is built', () => {
    expect(existsSync(TOOL)).toBe(true);
  });

  it('runs the mixed scenario and reports every step as JSON, with progress on stderr', async () => {
    const res = await runTool(['--url', url, '--scenario', 'mixed', '--connections', '7', '--duration', '2', '--json']);
    expect(res.code).toBe(0);
    const report = JSON.parse(res.stdout.slice(res.stdout.indexOf('{'))) as LoadReport;
    expect(res.stderr).toMatch(/^\s+\d+ s\s+\d+ requests/m);
    expect(report.scenario).toBe('mixed');
    expect(report.steps.map((s) => s.step)).toEqual([
      'GET market/candles',
      'GET strategies',
      'GET auth/me',
      'POST auth/login',
      'POST tiered-backtests',
      'GET tiered-backtests',
      'GET tiered-backtests/:id',
    ]);
    for (const s of report.steps) {
      expect([s.step, s.requests > 0]).toEqual([s.step, true]);
      // Reads must succeed; submissions may meet the basic tier's quota (429), which the report shows.
      if (s.step !== 'POST tiered-backtests') expect([s.step, s.errorsByStatus]).toEqual([s.step, {}]);
    }
    expect(report.total.requests).toBe(report.steps.reduce((n, s) => n + s.requests, 0));
    expect(report.total.latencyMs.p95).toBeGreaterThan(0);
  }, 120_000);

  it('prints the table by default, and exits 1 with the reason when the target does not answer', async () => {
    const res = await runTool([
      '--url',
      url,
      '--scenario',
      'read',
      '--connections',
      '3',
      '--duration',
      '1',
      '--users',
      '1',
    ]);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^GET market\/candles\s+\d+/m);
    expect(res.stdout).toMatch(/success rate \d+\.\d\d %/);
    const down = await runTool(['--url', 'http://127.0.0.1:9', '--duration', '1']);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^loadtest: http:\/\/127\.0\.0\.1:9\/health/m);
  });

  it('exits 2 with the reason and the usage on a bad flag', async () => {
    const res = await runTool(['--url', url, '--scenario', 'write']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/--scenario must be one of/);
    expect(res.stderr).toMatch(/^usage: npm run loadtest/m);
  });
});
