import autocannon from 'autocannon';
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { DataSource } from 'typeorm';
import { dataSourceOptions, loadConfig } from '@app/platform';
import { MarketStore } from '@app/market';
import { BENCH_DB, benchApiEnv, benchSession, ensureDatabase } from './http.bench';
import { BenchLine } from './report';
import { freePort, load, ROOT, startProcess } from './support/processes';

const MINUTE = 60_000;
export const START = Date.UTC(2023, 0, 1);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);

/** A Binance kline CSV of `n` one-minute bars (seeded walk), written to `path`. */
export async function writeKlines(path: string, n: number): Promise<void> {
  const out = createWriteStream(path);
  let a = 42;
  const rand = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  let price = 20_000;
  let chunk = '';
  for (let i = 0; i < n; i++) {
    const t = START + i * MINUTE;
    const open = price;
    const close = Math.max(1, open * (1 + (rand() - 0.5) * 0.002));
    const high = Math.max(open, close) * (1 + rand() * 0.0005);
    const low = Math.min(open, close) * (1 - rand() * 0.0005);
    price = close;
    chunk += `${t},${open.toFixed(2)},${high.toFixed(2)},${low.toFixed(2)},${close.toFixed(2)},${(rand() * 10).toFixed(5)},${t + MINUTE - 1},0,10,0,0,0\n`;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
}

/** A CSV (with header) of `n` trade prints (seeded walk, a few per second, ids counting up), written to `path`. */
export async function writeTrades(path: string, n: number): Promise<void> {
  const out = createWriteStream(path);
  let a = 7;
  const rand = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  let cents = 2_000_000;
  let t = START;
  let chunk = 'timestamp,id,side,price,amount\n';
  for (let i = 0; i < n; i++) {
    t += Math.floor(rand() * 400);
    cents += Math.round((rand() - 0.5) * 6);
    const amount = (Math.floor(rand() * rand() * 200_000) + 1) / 10_000;
    chunk += `${t},${3_000_000_000 + i},${rand() < 0.5 ? 'buy' : 'sell'},${(cents / 100).toFixed(2)},${amount}\n`;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
}

/** Bytes a chunk table takes on disk (heap, TOAST and indexes) per row it stores, over every series in it. */
async function bytesPerRow(ds: DataSource, table: string): Promise<{ bytes: number; rows: number }> {
  await ds.query(`VACUUM ANALYZE ${table}`);
  const [r] = await ds.query<Array<{ bytes: string; rows: string }>>(
    `SELECT pg_total_relation_size('${table}')::bigint AS bytes, (SELECT sum(row_count) FROM ${table})::bigint AS rows`,
  );
  return { bytes: Number(r.bytes), rows: Number(r.rows) };
}

/**
 * Issue 5's figures: file import rate (1,000,000 candles through the CLI, COPY into staging and
 * one INSERT … ON CONFLICT), the engine feed (525,600 one-minute bars from PostgreSQL into typed
 * arrays), and GET /api/v1/market/candles (1,000 bars) cached and uncached next to bare Fastify.
 */
export async function marketBench(): Promise<BenchLine[]> {
  await ensureDatabase();
  const lines: BenchLine[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'quant-bench-'));
  const exchange = `bench${Date.now().toString(36)}`;
  const env = { ...process.env, DATABASE_URL: BENCH_DB, LOG_LEVEL: 'warn' };
  try {
    const file = join(dir, 'BENCH-1m.csv');
    const N = 1_000_000;
    await writeKlines(file, N);
    const started = Date.now();
    execFileSync(
      process.execPath,
      [`${ROOT}/dist/apps/cli/src/market-import.js`, '--exchange', exchange, '--symbol', 'BTC/USDT', file],
      { env, stdio: 'ignore' },
    );
    const seconds = (Date.now() - started) / 1000;
    lines.push({
      name: 'market import 1,000,000 candles (Binance CSV, CLI end to end)',
      value: Math.round(N / seconds),
      unit: `rows/s (${seconds.toFixed(1)} s)`,
      target: '1M rows well under 60 s',
      ok: seconds < 30,
    });

    const tradeFile = join(dir, 'BENCH-trades.csv');
    const P = 2_000_000;
    await writeTrades(tradeFile, P);
    const tradeStarted = Date.now();
    execFileSync(
      process.execPath,
      [`${ROOT}/dist/apps/cli/src/market-import.js`, '--exchange', exchange, '--symbol', 'ETH/USDT', tradeFile],
      { env, stdio: 'ignore' },
    );
    const tradeSeconds = (Date.now() - tradeStarted) / 1000;
    lines.push({
      name: 'market import 2,000,000 trade prints (CSV, CLI end to end)',
      value: Math.round(P / tradeSeconds),
      unit: `prints/s (${tradeSeconds.toFixed(1)} s)`,
      target: '>= 1,000,000 prints/s',
      ok: P / tradeSeconds >= 1_000_000,
    });

    const ds = new DataSource(dataSourceOptions(loadConfig({ DATABASE_URL: BENCH_DB }), BENCH_DB));
    await ds.initialize();
    try {
      const store = new MarketStore(ds);
      const [{ id }] = await ds.query<Array<{ id: string }>>(`SELECT id FROM market_instruments WHERE exchange = $1`, [
        exchange,
      ]);
      const range = { from: START, to: START + 525_600 * MINUTE };
      let best = Infinity;
      let bars = 0;
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now();
        const series = await store.loadCandles(id, range, MINUTE);
        best = Math.min(best, performance.now() - t0);
        bars = series.time.length;
      }
      lines.push({
        name: `engine feed: ${bars.toLocaleString('en-US')} 1m bars from PostgreSQL (best of 5)`,
        value: Math.round(best),
        unit: 'ms',
        target: '<= 50 ms for 525,600 bars',
        ok: bars === 525_600 && best <= 50,
      });

      const [{ id: tradesId }] = await ds.query<Array<{ id: string }>>(
        `SELECT id FROM market_instruments WHERE exchange = $1 AND symbol = 'ETH/USDT'`,
        [exchange],
      );
      let bestTrades = Infinity;
      let prints = 0;
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now();
        const series = await store.loadTrades(tradesId, { from: 0, to: 8.64e15 });
        bestTrades = Math.min(bestTrades, performance.now() - t0);
        prints = series.time.length;
      }
      const printsPerSecond = prints / (bestTrades / 1000);
      lines.push({
        name: `engine feed: ${prints.toLocaleString('en-US')} trade prints from PostgreSQL (best of 5, ${Math.round(bestTrades)} ms)`,
        value: Math.round(printsPerSecond),
        unit: 'prints/s',
        target: '>= 20,000,000 prints/s',
        ok: printsPerSecond >= 20_000_000,
      });

      const candleSize = await bytesPerRow(ds, 'market_candle_chunks');
      lines.push({
        name: `stored size per 1m candle (relation + TOAST + index, ${candleSize.rows.toLocaleString('en-US')} candles)`,
        value: Math.round((candleSize.bytes / candleSize.rows) * 10) / 10,
        unit: 'bytes',
        target: '<= 24 bytes',
        ok: candleSize.bytes / candleSize.rows <= 24,
      });
      const tradeSize = await bytesPerRow(ds, 'market_trade_chunks');
      lines.push({
        name: `stored size per trade print (relation + TOAST + index, ${tradeSize.rows.toLocaleString('en-US')} prints)`,
        value: Math.round((tradeSize.bytes / tradeSize.rows) * 10) / 10,
        unit: 'bytes',
        target: '<= 16 bytes',
        ok: tradeSize.bytes / tradeSize.rows <= 16,
      });
    } finally {
      await ds.destroy();
    }

    const barePort = await freePort();
    const bare = await startProcess(`${ROOT}/dist/bench/support/bare-fastify.js`, [String(barePort)], {}, /ready/);
    const apiPort = await freePort();
    const api = await startProcess(
      `${ROOT}/dist/apps/api/src/main.js`,
      [],
      benchApiEnv(apiPort, { THROTTLE_MARKET_DATA_LIMIT: '10000000', MARKET_READ_COST_BUDGET: '100000000' }),
      /ready in \d+ ms/,
    );
    try {
      const token = await benchSession(apiPort);
      const headers = { authorization: `Bearer ${token}` };
      const base = `http://127.0.0.1:${apiPort}/api/v1/market/candles?exchange=${exchange}&symbol=BTC/USDT&timeframe=1m&limit=1000`;
      await load(`http://127.0.0.1:${barePort}/health`, 2);
      const b = await load(`http://127.0.0.1:${barePort}/health`, SECONDS);
      lines.push({ name: 'bare fastify /health', value: Math.round(b.rps), unit: `req/s (p99 ${b.p99} ms)` });

      const cachedUrl = `${base}&from=${START}`;
      await load(cachedUrl, 2, 32, headers);
      const c = await load(cachedUrl, SECONDS, 32, headers);
      lines.push({
        name: 'api GET market/candles 1,000 bars, cached (L1)',
        value: Math.round(c.rps),
        unit: `req/s (p99 ${c.p99} ms, ${c.errors} errors; ${(c.rps / b.rps).toFixed(3)}x bare)`,
      });

      // Uncached: every request asks for another window, so each one reads PostgreSQL.
      let k = 0;
      const result = await autocannon({
        url: `http://127.0.0.1:${apiPort}`,
        connections: 8,
        duration: SECONDS,
        headers,
        requests: [
          {
            method: 'GET',
            setupRequest: (req) => {
              k++;
              const from = START + ((k * 7919) % 500_000) * MINUTE;
              return { ...req, path: `${base.slice(base.indexOf('/api'))}&from=${from}` };
            },
          },
        ],
      });
      const errors = result.errors + result.timeouts + (result.non2xx ?? 0);
      lines.push({
        name: 'api GET market/candles 1,000 bars, uncached (PostgreSQL)',
        value: Math.round(result.requests.average),
        unit: `req/s (p99 ${result.latency.p99} ms, ${errors} errors; ${(result.requests.average / b.rps).toFixed(3)}x bare)`,
        target: ">= 0.035x bare (5x the row store's 0.007x)",
        ok: result.requests.average / b.rps >= 0.035,
      });
    } finally {
      await api.stop();
      await bare.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return lines;
}
