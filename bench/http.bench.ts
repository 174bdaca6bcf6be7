import { Client } from 'pg';
import { applyMigrations, loadConfig } from '@app/platform';
import { BenchLine } from './report';
import { cpuSeconds, freePort, load, rssMb, ROOT, startProcess } from './support/processes';

export const BENCH_DB = process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/quant_bench';
const ADMIN_DB = process.env.BENCH_ADMIN_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
/**
 * `BENCH_HTTP_ONLY=auth-me` measures only the authenticated read: the figure a
 * change to the request's authentication moves, in a quarter of the time, so
 * that runs of two builds can alternate on a busy machine.
 */
const AUTH_ME_ONLY = process.env.BENCH_HTTP_ONLY === 'auth-me';

export async function ensureDatabase(): Promise<void> {
  const admin = new Client({ connectionString: ADMIN_DB });
  await admin.connect();
  const name = new URL(BENCH_DB).pathname.slice(1);
  const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  if (found.rowCount === 0) await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  await applyMigrations(loadConfig({ DATABASE_URL: BENCH_DB }), BENCH_DB);
}

/** Registers a fresh user on the running API and returns its access token. */
export async function benchSession(port: number): Promise<string> {
  const email = `bench-${Date.now()}@bench.example.com`;
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: 'amber-quarry-ledger-91' }),
  });
  if (res.status !== 201) throw new Error(`bench register answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { accessToken: string }).accessToken;
}

/** The API's environment in every bench: production settings, JSON logs, budgets one client cannot exhaust. */
export function benchApiEnv(port: number, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    NODE_ENV: 'production',
    DATABASE_URL: BENCH_DB,
    JWT_SECRET: 'bench-secret-bench-secret-bench-secret-0000',
    ENCRYPTION_KEY: '0'.repeat(64),
    // Production refuses a first start without an admin password.
    ADMIN_PASSWORD: 'bench-admin-cobalt-harbor-27',
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    LOG_FORMAT: 'json',
    // The throttle still counts every request, but one bench client must not run out of budget.
    THROTTLE_DEFAULT_LIMIT: '10000000',
    ...extra,
  };
}

/** Rounds of the api/bare comparison; each round loads both servers for SECONDS / 2. */
const ROUNDS = 5;

/**
 * Load on each server before its measured rounds. After an idle period V8's
 * memory-reducing GC has dropped the transitions and inline-cache state of
 * hot object literals (Node's own `process.nextTick` among them), and the first
 * seconds of load run them through the runtime: the API's first 4 s measured
 * up to half as much CPU again per request as its steady state. That transient
 * is reported on its own; the ratio is taken at steady state.
 */
const WARM_UP_SECONDS = 10;
const COLD_SECONDS = 4;

type Load = Awaited<ReturnType<typeof load>> & { cpuUsPerRequest: number };

/** A load on `url` served by process `pid`, with the CPU time that process spent per request. */
async function measuredLoad(
  pid: number,
  url: string,
  seconds: number,
  headers: Record<string, string> = {},
): Promise<Load> {
  const before = cpuSeconds(pid);
  const result = await load(url, seconds, 64, headers);
  return { ...result, cpuUsPerRequest: ((cpuSeconds(pid) - before) * 1e6) / Math.max(1, result.requests) };
}

interface Target {
  pid: number;
  url: string;
  headers?: Record<string, string>;
}

interface Comparison {
  bare: Load;
  api: Load;
  ratio: number;
  /** The API's first COLD_SECONDS of load, before its warm-up is over. */
  cold: Load;
}

/**
 * Bare Fastify and the API under the same load, in alternating rounds after a
 * warm-up of each: other work on this small machine then slows both sides of a
 * round alike. The ratio is the median of the rounds' ratios; the figures shown
 * are that round's.
 */
async function compare(bare: Target, api: Target): Promise<Comparison> {
  const cold = await measuredLoad(api.pid, api.url, COLD_SECONDS, api.headers);
  await load(api.url, WARM_UP_SECONDS - COLD_SECONDS, 64, api.headers);
  await load(bare.url, WARM_UP_SECONDS);
  const rounds: Array<{ bare: Load; api: Load; ratio: number }> = [];
  for (let i = 0; i < ROUNDS; i++) {
    const b = await measuredLoad(bare.pid, bare.url, SECONDS / 2);
    const a = await measuredLoad(api.pid, api.url, SECONDS / 2, api.headers);
    rounds.push({ bare: b, api: a, ratio: a.rps / b.rps });
  }
  rounds.sort((x, y) => x.ratio - y.ratio);
  const median = rounds[Math.floor(ROUNDS / 2)];
  // Errors in any round count, not only in the median one.
  return { ...median, cold, api: { ...median.api, errors: rounds.reduce((n, r) => n + r.api.errors, 0) } };
}

/** "12,345 req/s (p99 2 ms, 23.4 µs CPU per request)" */
const throughput = (l: Load, extra = '') =>
  `req/s (p99 ${l.p99} ms, ${l.cpuUsPerRequest.toFixed(1)} µs CPU per request${extra})`;

/**
 * The resident size of an API that serves nothing: sampled every second until it
 * has not moved by more than 1 MB for 10 s after the first 20 s (V8 returns the
 * young generation that start-up grew once it sees the process idle, which
 * takes it some 20 s), or for at most 60 s.
 */
async function settledRss(pid: number): Promise<{ mb: number; seconds: number }> {
  const samples: number[] = [];
  for (let second = 1; second <= 60; second++) {
    await new Promise((r) => setTimeout(r, 1_000));
    samples.push(rssMb(pid));
    const recent = samples.slice(-10);
    if (second >= 30 && Math.max(...recent) - Math.min(...recent) <= 1) return { mb: samples.at(-1)!, seconds: second };
  }
  return { mb: samples.at(-1)!, seconds: samples.length };
}

/** An authenticated read (JWT verification, user status, session check, throttle) against the bare /health. */
async function authMe(barePid: number, barePort: number, apiPid: number, apiPort: number): Promise<BenchLine[]> {
  const token = await benchSession(apiPort);
  const { api: a, ratio } = await compare(
    { pid: barePid, url: `http://127.0.0.1:${barePort}/health` },
    { pid: apiPid, url: `http://127.0.0.1:${apiPort}/api/v1/auth/me`, headers: { authorization: `Bearer ${token}` } },
  );
  return [
    {
      name: 'api GET /api/v1/auth/me (JWT + session check + throttle)',
      value: Math.round(a.rps),
      unit: throughput(a, `, ${a.errors} errors`),
    },
    {
      name: `api/bare ratio GET /api/v1/auth/me vs /health (median of ${ROUNDS} alternating rounds)`,
      value: Number(ratio.toFixed(3)),
      unit: 'x',
      target: '>= 0.4x',
      ok: ratio >= 0.4 && a.errors === 0,
    },
  ];
}

/**
 * The API (production settings, JSON logs to a pipe, no in-process worker)
 * next to a bare Fastify server, both under the same autocannon load.
 */
export async function httpBench(): Promise<BenchLine[]> {
  await ensureDatabase();
  const lines: BenchLine[] = [];

  const barePort = await freePort();
  const bare = await startProcess(`${ROOT}/dist/bench/support/bare-fastify.js`, [String(barePort)], {}, /ready/);
  const apiPort = await freePort();
  const apiEnv = benchApiEnv(apiPort);
  const api = await startProcess(`${ROOT}/dist/apps/api/src/main.js`, [], apiEnv, /ready in \d+ ms/);
  try {
    await new Promise((r) => setTimeout(r, 2_000));
    if (AUTH_ME_ONLY) {
      lines.push(...(await authMe(bare.child.pid!, barePort, api.child.pid!, apiPort)));
      return lines;
    }
    const afterStart = rssMb(api.child.pid!);
    lines.push({ name: 'api RSS 2 s after ready (start-up garbage not yet returned)', value: afterStart, unit: 'MB' });
    const idle = await settledRss(api.child.pid!);
    lines.push({
      name: `api idle RSS (production, no in-process worker; no request for ${idle.seconds} s)`,
      value: idle.mb,
      unit: 'MB',
      target: '< 150 MB',
      ok: idle.mb < 150,
    });

    const bareAt = (pathname: string): Target => ({
      pid: bare.child.pid!,
      url: `http://127.0.0.1:${barePort}${pathname}`,
    });
    const apiAt = (pathname: string, headers?: Record<string, string>): Target => ({
      pid: api.child.pid!,
      url: `http://127.0.0.1:${apiPort}${pathname}`,
      headers,
    });
    for (const [label, pathname] of [
      ['/health', '/health'],
      ['/api/v1 unknown route (404 problem details)', '/api/v1/does-not-exist'],
    ] as const) {
      const { bare: b, api: a, ratio, cold } = await compare(bareAt(pathname), apiAt(pathname));
      if (label === '/health') {
        lines.push({
          name: `api ${label}, first ${COLD_SECONDS} s of load after ${idle.seconds} s idle`,
          value: Math.round(cold.rps),
          unit: throughput(cold),
        });
      }
      lines.push({ name: `bare fastify ${label}`, value: Math.round(b.rps), unit: throughput(b) });
      lines.push({ name: `api ${label}`, value: Math.round(a.rps), unit: throughput(a) });
      lines.push({
        name: `api/bare ratio ${label} (median of ${ROUNDS} alternating rounds)`,
        value: Number(ratio.toFixed(3)),
        unit: 'x',
        target: label === '/health' ? '>= 0.5x' : undefined,
        ok: label === '/health' ? ratio >= 0.5 : undefined,
      });
    }

    lines.push(...(await authMe(bare.child.pid!, barePort, api.child.pid!, apiPort)));
  } finally {
    await api.stop();
    await bare.stop();
  }

  // Warm start: same database, already migrated, modules in the OS file cache.
  const starts: number[] = [];
  for (let i = 0; i < 3; i++) {
    const p = await startProcess(
      `${ROOT}/dist/apps/api/src/main.js`,
      [],
      { ...apiEnv, PORT: String(await freePort()) },
      /ready in \d+ ms/,
    );
    starts.push(p.readyMs);
    await p.stop();
  }
  const warm = Math.min(...starts);
  lines.push({
    name: 'api warm start to ready (best of 3)',
    value: Math.round(warm),
    unit: 'ms',
    target: '< 3000 ms',
    ok: warm < 3000,
  });
  return lines;
}
