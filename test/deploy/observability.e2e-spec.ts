import { ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';
import { DatabaseUrl, loadConfig } from '@app/platform';
import { REPO_ROOT, TEST_REDIS_URL, testEnv, uniquePrefix } from '@app/testing';
import { RunningWorker, startWorkerApp } from '../../apps/worker/src/bootstrap';
import { bearer, register } from '../auth/auth-helpers';
import { createSession, sendMessage } from '../ai/ai-helpers';
import { createStrategy, storeSyntheticCandles, userWithTier, waitForBacktest } from '../support/backtest-fixtures';
import { FakeAnthropic, reply } from '../support/fake-anthropic';
import { FakeExchange } from '../support/fake-exchange';
import {
  ALERTS_FILE,
  ALERTS_TEST_FILE,
  grafanaToPromql,
  metricNamesOf,
  panelQueries,
  ruleGroups,
  ruleQueries,
  sampledNames,
} from '../support/promql';
import { TestApi, createTestApi } from '../support/test-app';

/**
 * Dashboards and alerts that cannot rot: the rules pass promtool's checks and their unit tests;
 * then the real API and a real worker are exercised so that their series exist, a real Prometheus
 * (the Debian package) scrapes both and evaluates every rule, and every panel query is run against
 * it. A metric renamed in the code, or a query Prometheus rejects, fails here.
 */

const PROMTOOL = process.env.PROMTOOL ?? 'promtool';
const PROMETHEUS = process.env.PROMETHEUS ?? 'prometheus';
const METRICS_TOKEN = 'observability-test-metrics-token';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}
function run(cmd: string, args: string[], cwd = REPO_ROOT): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, timeout: 120_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const ALERTS = ruleGroups().flatMap((g) => g.rules.filter((r) => r.alert));
const RECORDED = new Set(ruleGroups().flatMap((g) => g.rules.flatMap((r) => (r.record ? [r.record] : []))));
/** Series Prometheus makes itself, not the app. */
const PROMETHEUS_SERIES = new Set(['up']);

describe('observability', () => {
  describe('the alert rules', () => {
    it('pass promtool check rules', async () => {
      const res = await run(PROMTOOL, ['check', 'rules', ALERTS_FILE]);
      expect(res.stderr + res.stdout).toMatch(/SUCCESS/);
      expect(res.code).toBe(0);
    });

    it('pass their promtool unit tests (series in, alerts out)', async () => {
      const res = await run(PROMTOOL, ['test', 'rules', ALERTS_TEST_FILE]);
      expect(res.code === 0 ? 'passed' : res.stdout + res.stderr).toBe('passed');
    });

    it('promtool fails a rule test whose expected alert does not fire, so the check above can fail', async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'promtool-'));
      try {
        writeFileSync(path.join(dir, 'alerts.yml'), readFileSync(path.join(REPO_ROOT, ALERTS_FILE)));
        writeFileSync(
          path.join(dir, 'wrong.test.yml'),
          stringify({
            rule_files: ['alerts.yml'],
            tests: [
              {
                interval: '1m',
                input_series: [{ series: 'queue_live_workers{instance="a"}', values: '2x10' }],
                alert_rule_test: [
                  { eval_time: '10m', alertname: 'NoLiveWorker', exp_alerts: [{ exp_labels: { severity: 'page' } }] },
                ],
              },
            ],
          }),
        );
        expect((await run(PROMTOOL, ['test', 'rules', 'wrong.test.yml'], dir)).code).not.toBe(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('every alert has a unit test in which it fires', () => {
      const tests = (
        parse(readFileSync(path.join(REPO_ROOT, ALERTS_TEST_FILE), 'utf8')) as {
          tests: Array<{ alert_rule_test?: Array<{ alertname: string; exp_alerts?: unknown[] }> }>;
        }
      ).tests;
      const firing = new Set(
        tests.flatMap((t) => (t.alert_rule_test ?? []).filter((a) => a.exp_alerts?.length).map((a) => a.alertname)),
      );
      expect(ALERTS.map((a) => a.alert).filter((name) => !firing.has(name!))).toEqual([]);
    });

    it('every alert has a severity, a summary, a description, runbook text and a runbook section in docs/operations.md', () => {
      const doc = readFileSync(path.join(REPO_ROOT, 'docs/operations.md'), 'utf8');
      const sections = new Set([...doc.matchAll(/^### (\w+)\s*$/gm)].map((m) => m[1]));
      for (const a of ALERTS) {
        expect([a.alert, a.labels?.severity]).toEqual([a.alert, expect.stringMatching(/^(page|ticket|none)$/)]);
        for (const key of ['summary', 'description', 'runbook', 'runbook_url']) {
          expect([a.alert, key, (a.annotations?.[key] ?? '').length > 10]).toEqual([a.alert, key, true]);
        }
        expect(a.annotations!.runbook_url).toMatch(new RegExp(`docs/operations\\.md#${a.alert!.toLowerCase()}$`));
        expect([a.alert, sections.has(a.alert!)]).toEqual([a.alert, true]);
      }
    });

    it('k8s/prometheus-rule.yaml carries exactly these rules', () => {
      const rule = parse(readFileSync(path.join(REPO_ROOT, 'k8s/prometheus-rule.yaml'), 'utf8')) as {
        apiVersion: string;
        kind: string;
        spec: { groups: unknown };
      };
      expect(rule.apiVersion).toBe('monitoring.coreos.com/v1');
      expect(rule.kind).toBe('PrometheusRule');
      expect(rule.spec.groups).toEqual(ruleGroups());
    });

    it('the metric-name extraction finds names and skips functions, labels and keywords', () => {
      expect(
        metricNamesOf('sum by (queue) (rate(foo_total{queue="x"}[5m])) / on (queue) bar_seconds > bool 3'),
      ).toEqual(['bar_seconds', 'foo_total']);
    });
  });

  describe('against a real Prometheus scraping the real API and worker', () => {
    let api: TestApi;
    let worker: RunningWorker;
    let anthropic: FakeAnthropic;
    let exchange: FakeExchange;
    let prometheus: ChildProcess | undefined;
    let prometheusLog = '';
    let dir: string;
    let apiPort: number;
    let workerPort: number;
    let promUrl: string;
    const exposition: Record<'api' | 'worker', string> = { api: '', worker: '' };

    const query = async (expr: string) => {
      const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
      return (await res.json()) as { status: string; error?: string; data?: { result: unknown[] } };
    };

    beforeAll(async () => {
      anthropic = await FakeAnthropic.start();
      exchange = await FakeExchange.start();
      const syncStart = Math.floor(Date.now() / 60_000) * 60_000 - 30 * 60_000;
      exchange.addMarket('OBS/USDT', { start: syncStart - 60 * 60_000 });
      // Bars the exchange cannot serve: the sync reports a gap.
      exchange.drop('OBS/USDT', syncStart + 5 * 60_000, syncStart + 8 * 60_000);
      // And answers the first request with a 429: the sync waits and counts it.
      exchange.rateLimit('OBS/USDT', 1, 1);
      const env = {
        REDIS_URL: TEST_REDIS_URL,
        QUEUE_PREFIX: uniquePrefix('observability'),
        RUN_WORKER_IN_API: 'false',
        METRICS_TOKEN,
        ANTHROPIC_API_KEY: anthropic.apiKey,
        ANTHROPIC_BASE_URL: anthropic.url,
        ANTHROPIC_MODEL: 'claude-test-1',
        AI_MAX_RETRIES: '0',
        AI_DAILY_MESSAGES_BASIC: '3',
        MARKET_SYNC: 'binance:OBS/USDT:1m',
        MARKET_SYNC_EVERY_MS: '3600000',
        MARKET_SYNC_START: new Date(syncStart).toISOString(),
        MARKET_SYNC_EXCHANGE_URLS: `binance=${exchange.url}`,
        HOST: '127.0.0.1',
        LOG_LEVEL: 'silent',
      };
      api = await createTestApi({ env });
      await api.app.listen({ port: 0, host: '127.0.0.1' });
      apiPort = (api.app.getHttpServer().address() as AddressInfo).port;
      workerPort = await freePort();
      const workerConfig = loadConfig(testEnv({ ...env, WORKER_HEALTH_PORT: String(workerPort) }));
      worker = await startWorkerApp(workerConfig, DatabaseUrl.from(workerConfig), { healthServer: true });

      await exercise(api, anthropic);
      // The scheduled sync run of the worker stores the series' state (and the gap) on start.
      await until('the exchange sync run', async () => {
        const m = await metricsOf(workerPort);
        return /^market_sync_runs_total\{[^}]*outcome="success"/m.test(m) ? true : undefined;
      });
      exposition.api = await metricsOf(apiPort);
      exposition.worker = await metricsOf(workerPort);

      dir = mkdtempSync(path.join(tmpdir(), 'prometheus-'));
      writeFileSync(path.join(dir, 'token'), METRICS_TOKEN);
      // The rules as shipped, evaluated every second instead of every 15-30 s.
      const groups = ruleGroups().map((g) => ({ ...g, interval: '1s' }));
      writeFileSync(path.join(dir, 'alerts.yml'), stringify({ groups }));
      const job = (name: string, port: number) => ({
        job_name: name,
        metrics_path: '/metrics',
        authorization: { type: 'Bearer', credentials_file: path.join(dir, 'token') },
        static_configs: [{ targets: [`127.0.0.1:${port}`] }],
      });
      writeFileSync(
        path.join(dir, 'prometheus.yml'),
        stringify({
          global: { scrape_interval: '1s', evaluation_interval: '1s' },
          rule_files: [path.join(dir, 'alerts.yml')],
          scrape_configs: [job('quant-api', apiPort), job('quant-worker', workerPort)],
        }),
      );
      const promPort = await freePort();
      promUrl = `http://127.0.0.1:${promPort}`;
      prometheus = spawn(
        PROMETHEUS,
        [
          `--config.file=${path.join(dir, 'prometheus.yml')}`,
          `--storage.tsdb.path=${path.join(dir, 'data')}`,
          `--web.listen-address=127.0.0.1:${promPort}`,
          '--log.level=warn',
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      prometheus.stderr!.on('data', (chunk: Buffer) => (prometheusLog += chunk.toString()));
      await until('both targets up', async () => {
        const res = await fetch(`${promUrl}/api/v1/targets`).catch(() => undefined);
        if (!res?.ok) return undefined;
        const targets = ((await res.json()) as { data: { activeTargets: Array<{ health: string }> } }).data
          .activeTargets;
        return targets.length === 2 && targets.every((t) => t.health === 'up') ? true : undefined;
      });
      // Every rule evaluated at least twice after both scrapes, so rate() has two samples.
      await new Promise((r) => setTimeout(r, 3_000));
      await until('every rule evaluated', async () => {
        const rules = await rulesOf(promUrl);
        return rules.every((r) => !r.lastEvaluation.startsWith('0001-')) ? true : undefined;
      });
    }, 180_000);

    afterAll(async () => {
      if (prometheus && prometheus.exitCode === null) {
        const exited = new Promise((r) => prometheus!.once('exit', r));
        prometheus.kill('SIGTERM');
        await exited;
      }
      await worker?.close();
      await api?.close();
      await anthropic?.close();
      await exchange?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('the worker and the API both export their own metrics', () => {
      expect(exposition.worker).toMatch(/^backtests_finished_total\{/m);
      // The backtest of the exercise ran on this worker, which counted its job.
      const completed = /^queue_jobs_finished_total\{queue="backtests",outcome="completed"\} (\d+)/m.exec(
        exposition.worker,
      );
      expect(Number(completed?.[1])).toBeGreaterThanOrEqual(1);
      expect(exposition.api).toMatch(/^http_request_duration_seconds_count\{/m);
    });

    it('every metric a dashboard panel or an alert rule reads has series in the API or the worker', () => {
      const exported = new Set([...sampledNames(exposition.api), ...sampledNames(exposition.worker)]);
      const used = [...panelQueries(), ...ruleQueries()].flatMap((q) =>
        metricNamesOf(q.expr).map((name) => ({ where: q.where, name })),
      );
      expect(used.length).toBeGreaterThan(50);
      const missing = used.filter(
        (u) => !exported.has(u.name) && !RECORDED.has(u.name) && !PROMETHEUS_SERIES.has(u.name),
      );
      expect(missing).toEqual([]);
    });

    it('Prometheus evaluates every recording and alerting rule without error', async () => {
      const rules = await rulesOf(promUrl);
      expect(rules.length).toBe(ruleQueries().length);
      expect(rules.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.lastError}`)).toEqual([]);
      expect(prometheusLog).not.toMatch(/level=error/);
    });

    it('the SLO recording rules compute a ratio from the scraped requests', async () => {
      const res = await query('slo:http_errors:ratio_rate5m');
      expect(res.status).toBe('success');
      expect(res.data!.result.length).toBe(1);
    });

    it('every dashboard panel query runs on Prometheus without error', async () => {
      const failures: string[] = [];
      for (const q of panelQueries()) {
        const res = await query(grafanaToPromql(q.expr));
        if (res.status !== 'success') failures.push(`${q.where}: ${res.error}`);
      }
      expect(failures).toEqual([]);
    });

    it('a query Prometheus cannot parse is reported, so the check above can fail', async () => {
      const res = await query(
        grafanaToPromql('sum by (route (rate(http_request_duration_seconds_count[$__rate_interval]))'),
      );
      expect(res.status).toBe('error');
    });

    it('Prometheus sees the dependencies up, the API ready and the queue empty of old jobs', async () => {
      const values = async (expr: string) =>
        ((await query(expr)).data!.result as Array<{ value: [number, string] }>).map((r) => Number(r.value[1]));
      expect(await values('min(dependency_up)')).toEqual([1]);
      expect(await values('min(app_ready)')).toEqual([1]);
      expect(await values('max(queue_live_workers)')).toEqual([expect.any(Number)]);
      expect((await values('max(queue_live_workers)'))[0]).toBeGreaterThanOrEqual(1);
      const firing = (await (await fetch(`${promUrl}/api/v1/alerts`)).json()) as {
        data: { alerts: Array<{ labels: { alertname: string }; state: string }> };
      };
      // Everything is healthy: only the watchdog may fire (the others wait out their `for`).
      expect(firing.data.alerts.filter((a) => a.state === 'firing').map((a) => a.labels.alertname)).toEqual([
        'Watchdog',
      ]);
    });
  });
});

async function metricsOf(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: bearer(METRICS_TOKEN) });
  if (res.status !== 200) throw new Error(`/metrics on ${port} answered ${res.status}`);
  return res.text();
}

async function rulesOf(promUrl: string) {
  const res = await fetch(`${promUrl}/api/v1/rules`);
  const body = (await res.json()) as {
    data: {
      groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string; lastEvaluation: string }> }>;
    };
  };
  return body.data.groups.flatMap((g) => g.rules);
}

/** Requests that create the series the dashboards and alerts read: traffic, backtests, market reads, AI. */
async function exercise(api: TestApi, anthropic: FakeAnthropic): Promise<void> {
  const exchange = 'obs';
  const symbol = 'OBS/USD';
  const range = await storeSyntheticCandles(api, exchange, symbol, 600);
  const elite = await userWithTier(api, 'elite');
  const strategyId = await createStrategy(api, elite.accessToken);
  const submit = (token: string, extra: Record<string, unknown> = {}) =>
    api.inject({
      method: 'POST',
      url: '/api/v1/tiered-backtests',
      headers: bearer(token),
      payload: {
        strategyId,
        exchange,
        symbol,
        timeframe: '1m',
        from: range.from,
        to: range.to,
        initialCapital: 10_000,
        precision: 'kline',
        ...extra,
      },
    });
  const accepted = await submit(elite.accessToken);
  if (accepted.statusCode !== 201 && accepted.statusCode !== 202) {
    throw new Error(`backtest submission answered ${accepted.statusCode}: ${accepted.body}`);
  }
  await waitForBacktest(api, elite.accessToken, accepted.json().id, 60_000);

  // A basic user asking for tick precision is refused by the tier table.
  const basic = await userWithTier(api, 'basic');
  const basicStrategy = await createStrategy(api, basic.accessToken);
  await api.inject({
    method: 'POST',
    url: '/api/v1/tiered-backtests',
    headers: bearer(basic.accessToken),
    payload: {
      strategyId: basicStrategy,
      exchange,
      symbol,
      timeframe: '1m',
      from: range.from,
      to: range.to,
      initialCapital: 10_000,
      precision: 'tick',
    },
  });

  // The same read twice: a miss on both cache levels, then a hit.
  for (let i = 0; i < 2; i++) {
    const res = await api.inject({
      url: `/api/v1/market/candles?exchange=${exchange}&symbol=${encodeURIComponent(symbol)}&timeframe=5m&limit=50`,
      headers: bearer(elite.accessToken),
    });
    if (res.statusCode !== 200) throw new Error(`candles answered ${res.statusCode}: ${res.body}`);
  }

  // AI: a tool round and an answer, an upstream failure, then the daily quota (3 for basic) runs out.
  const session = await createSession(api, basic.accessToken);
  anthropic.queue(reply.tool('get_market_coverage', {}), reply.text('Coverage looks fine.'));
  await sendMessage(api, basic.accessToken, session.id, 'what data is there?');
  anthropic.queue(reply.error(529, 'overloaded_error'));
  await sendMessage(api, basic.accessToken, session.id, 'and now?');
  anthropic.queue(reply.text('Streamed.'));
  await sendMessage(api, basic.accessToken, session.id, 'stream it', true);
  for (let i = 0; i < 5; i++) {
    anthropic.queue(reply.text('More.'));
    if ((await sendMessage(api, basic.accessToken, session.id, 'one more')).statusCode === 429) break;
  }

  // A 4xx and a 404 for the status-code breakdowns; a register for the auth routes.
  await register(api);
  await api.inject('/api/v1/nope');
}
