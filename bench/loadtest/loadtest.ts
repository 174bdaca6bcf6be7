import autocannon from 'autocannon';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import {
  LoadOptions,
  LoadReport,
  SCENARIO_STEPS,
  StepName,
  StepPlan,
  StepSamples,
  USAGE,
  UsageError,
  formatReport,
  mergeSamples,
  parseLoadArgs,
  splitLoad,
  stepReport,
} from './load-plan';

/**
 * `npm run loadtest -- --url URL --scenario read|auth|backtest|mixed --rps N --connections C --duration S`
 *
 * Registers its own users on the target (so it works against any deployment), prepares what the
 * scenario reads (a strategy, an instrument with candles, a backtest), then runs one autocannon
 * instance per step of the scenario, all at once, with the step's share of the connections and
 * of the rate. Prints a progress line every second (stderr) and a report per step: throughput,
 * p50/p95/p99, error rate and errors by status; --json prints it as JSON for CI.
 * Every request needs a 2xx or 3xx answer to count as a success; a 429 is an error, so raise the
 * target's THROTTLE_* limits for a capacity test (the report shows them as 429s otherwise).
 */

const API = '/api/v1';
const PASSWORD = 'loadtest-Password-0123456789';
const STRATEGY = {
  version: 1,
  indicators: { fast: { type: 'sma', period: 5 }, slow: { type: 'sma', period: 20 } },
  entry: { long: { crossAbove: ['fast', 'slow'] } },
  exit: { long: { crossBelow: ['fast', 'slow'] } },
  sizing: { type: 'equityFraction', fraction: 1 },
};

interface User {
  email: string;
  token: string;
  strategyId?: string;
  backtestId?: string;
}
interface Fixture {
  users: User[];
  instrument?: { exchange: string; symbol: string; from: number; to: number };
}

async function call(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  token?: string,
): Promise<{ status: number; json: any }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  let json: unknown = undefined;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = text;
  }
  return { status: res.status, json };
}

const log = (line: string) => process.stderr.write(`${line}\n`);

/** Users, a strategy each, the instrument with the most recent candles, one backtest per user. */
async function prepare(o: LoadOptions, steps: StepPlan[]): Promise<Fixture> {
  const health = await call(o.url, 'GET', '/health').catch((e: Error) => {
    throw new Error(`${o.url}/health: ${e.message}`);
  });
  if (health.status !== 200) throw new Error(`${o.url}/health answered ${health.status}`);

  const run = randomUUID().slice(0, 8);
  const users: User[] = [];
  for (let i = 0; i < o.users; i++) {
    const email = `loadtest-${run}-${i}@loadtest.example.com`;
    const res = await call(o.url, 'POST', `${API}/auth/register`, { email, password: PASSWORD });
    if (res.status !== 201) {
      log(`registering user ${i + 1} answered ${res.status}; going on with ${users.length} users`);
      break;
    }
    users.push({ email, token: res.json.accessToken });
  }
  if (users.length === 0) throw new Error('could not register a single user (registration rate limit?)');

  const needs = (name: StepName) => steps.some((s) => s.step === name);
  const fixture: Fixture = { users };
  if (needs('GET market/candles') || needs('POST tiered-backtests') || needs('GET tiered-backtests/:id')) {
    const list = await call(o.url, 'GET', `${API}/market/instruments`, undefined, users[0].token);
    for (const inst of (list.json?.items ?? []) as Array<{ exchange: string; symbol: string }>) {
      const q = `exchange=${encodeURIComponent(inst.exchange)}&symbol=${encodeURIComponent(inst.symbol)}`;
      const cov = await call(o.url, 'GET', `${API}/market/coverage?${q}`, undefined, users[0].token);
      const last = cov.json?.candles?.last as string | undefined;
      if (cov.status === 200 && last) {
        const to = Date.parse(last);
        const first = Date.parse(cov.json.candles.first as string);
        // A day of bars: a backtest the worker finishes in milliseconds.
        fixture.instrument = { ...inst, from: Math.max(first, to - 86_400_000), to };
        break;
      }
    }
    if (!fixture.instrument) log('no instrument with candles on the target: candle reads and backtests will fail');
  }
  if (needs('POST tiered-backtests') || needs('GET tiered-backtests/:id')) {
    for (const u of users) {
      const s = await call(o.url, 'POST', `${API}/strategies`, { name: 'loadtest', definition: STRATEGY }, u.token);
      if (s.status === 201) u.strategyId = s.json.id;
      if (u.strategyId && fixture.instrument) {
        const b = await call(o.url, 'POST', `${API}/tiered-backtests`, backtestBody(u, fixture), u.token);
        if (b.status < 300) u.backtestId = b.json.id;
      }
    }
  }
  return fixture;
}

function backtestBody(u: User, f: Fixture) {
  const i = f.instrument;
  return {
    strategyId: u.strategyId,
    exchange: i?.exchange,
    symbol: i?.symbol,
    timeframe: '1h',
    from: i?.from,
    to: i?.to,
    initialCapital: 10_000,
    precision: 'kline',
  };
}

/** The autocannon request of a step; each request takes the next user, round robin. */
function requestOf(step: StepName, f: Fixture): autocannon.Request {
  let next = 0;
  const user = () => f.users[next++ % f.users.length];
  const withUser = (build: (u: User) => Partial<autocannon.Request>) => ({
    setupRequest: (req: autocannon.Request) => {
      const u = user();
      const extra = build(u);
      return { ...req, ...extra, headers: { ...req.headers, authorization: `Bearer ${u.token}`, ...extra.headers } };
    },
  });
  const json = { 'content-type': 'application/json' };
  const i = f.instrument;
  switch (step) {
    case 'GET market/candles':
      return {
        method: 'GET',
        path: `${API}/market/candles?exchange=${encodeURIComponent(i?.exchange ?? 'none')}&symbol=${encodeURIComponent(i?.symbol ?? 'NONE/NONE')}&timeframe=1h&limit=200`,
        ...withUser(() => ({})),
      };
    case 'GET strategies':
      return { method: 'GET', path: `${API}/strategies`, ...withUser(() => ({})) };
    case 'GET auth/me':
      return { method: 'GET', path: `${API}/auth/me`, ...withUser(() => ({})) };
    case 'POST auth/login':
      return {
        method: 'POST',
        path: `${API}/auth/login`,
        headers: json,
        setupRequest: (req) => ({ ...req, body: JSON.stringify({ email: user().email, password: PASSWORD }) }),
      };
    case 'POST tiered-backtests':
      return {
        method: 'POST',
        path: `${API}/tiered-backtests`,
        headers: json,
        ...withUser((u) => ({ body: JSON.stringify(backtestBody(u, f)) })),
      };
    case 'GET tiered-backtests':
      return { method: 'GET', path: `${API}/tiered-backtests?limit=20`, ...withUser(() => ({})) };
    case 'GET tiered-backtests/:id':
      return {
        method: 'GET',
        ...withUser((u) => ({
          path: `${API}/tiered-backtests/${u.backtestId ?? '00000000-0000-4000-8000-000000000000'}`,
        })),
      };
  }
}

export async function runLoadTest(o: LoadOptions): Promise<LoadReport> {
  const plan = SCENARIO_STEPS[o.scenario];
  const fixture = await prepare(o, plan);
  const split = splitLoad(plan, o.connections, o.rps);
  log(
    `${o.scenario}: ${split.map((s) => `${s.step} ×${s.connections}`).join(', ')}; ${fixture.users.length} users, ${o.durationSeconds} s`,
  );
  const samples: StepSamples[] = split.map((s) => ({
    step: s.step,
    latenciesMs: [],
    statuses: new Map(),
    transportErrors: 0,
  }));
  const started = Date.now();
  const instances = split.map(
    (s, k) =>
      new Promise<void>((resolve, reject) => {
        const instance = autocannon(
          {
            url: o.url,
            connections: s.connections,
            duration: o.durationSeconds,
            timeout: o.timeoutSeconds,
            ...(s.rps > 0 ? { overallRate: Math.max(1, Math.round(s.rps)) } : {}),
            requests: [requestOf(s.step, fixture)],
          },
          (error) => (error ? reject(error as Error) : resolve()),
        );
        instance.on('response', (_client, status, _bytes, ms) => {
          samples[k].latenciesMs.push(ms);
          samples[k].statuses.set(status, (samples[k].statuses.get(status) ?? 0) + 1);
        });
        instance.on('reqError', () => samples[k].transportErrors++);
      }),
  );
  let last = 0;
  const progress = setInterval(() => {
    const m = mergeSamples(samples);
    const count = m.latenciesMs.length + m.transportErrors;
    const failed = m.transportErrors + [...m.statuses].filter(([k]) => k >= 400).reduce((n, [, v]) => n + v, 0);
    const elapsed = Math.round((Date.now() - started) / 1000);
    log(
      `${String(elapsed).padStart(4)} s  ${String(count).padStart(8)} requests  ${String(count - last).padStart(6)} req/s  ${failed} errors`,
    );
    last = count;
  }, 1_000);
  try {
    await Promise.all(instances);
  } finally {
    clearInterval(progress);
  }
  const seconds = (Date.now() - started) / 1000;
  return {
    url: o.url,
    scenario: o.scenario,
    connections: o.connections,
    targetRps: o.rps,
    durationSeconds: o.durationSeconds,
    steps: samples.map((s) => stepReport(s, seconds)),
    total: stepReport(mergeSamples(samples), seconds),
  };
}

async function main(): Promise<void> {
  let options: LoadOptions;
  try {
    options = parseLoadArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    if (error.message) process.stderr.write(`loadtest: ${error.message}\n`);
    process.stderr.write(`${USAGE}\n`);
    process.exit(2);
  }
  const report = await runLoadTest(options);
  const json = JSON.stringify(report, null, 2);
  if (options.out) writeFileSync(options.out, `${json}\n`);
  process.stdout.write(`${options.json ? json : formatReport(report)}\n`);
}

if (require.main === module) {
  main().catch((error: Error) => {
    process.stderr.write(`loadtest: ${error.message}\n`);
    process.exit(1);
  });
}
