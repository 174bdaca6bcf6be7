import { Job } from 'bullmq';
import { register } from 'prom-client';
import { DataSource } from 'typeorm';
import { JobProducer } from '@app/platform';
import { MarketStore } from '@app/market';
import { TEST_REDIS_URL, uniquePrefix } from '@app/testing';
import { MarketSyncProcessor } from '../../apps/worker/src/market/market-sync.processor';
import { FakeBar, FakeExchange } from '../support/fake-exchange';
import { createTestApi, TestApi } from '../support/test-app';

const M = 60_000;
/** Symbols no other suite uses, so the suites can share one database. */
const BTC = 'SYNCBTC/USDT';
const ETH = 'SYNCETH/USDT';
const SOL = 'SYNCSOL/USDT';
const XRP = 'SYNCXRP/USDT';
const ADA = 'SYNCADA/USDT';

interface StateRow {
  last_run_at: Date;
  last_success_at: Date | null;
  consecutive_failures: number;
  last_error: string | null;
  bars_stored: string;
  trades_stored: string;
  gaps_found: number;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('exchange sync through ccxt against a local fake Binance', () => {
  let fake: FakeExchange;
  let api: TestApi;
  let db: DataSource;
  let producer: JobProducer;
  /** MARKET_SYNC_START: 2500 one-minute bars before the test started. */
  const start = Math.floor(Date.now() / M) * M - 2_500 * M;
  const dropFrom = start + 1_200 * M;
  const dropTo = start + 1_300 * M;

  const state = (symbol: string) =>
    db
      .query(`SELECT * FROM market_sync_state WHERE exchange = 'binance' AND symbol = $1 AND timeframe = '1m'`, [
        symbol,
      ])
      .then((rows: StateRow[]) => rows[0]);

  const instrumentId = async (symbol: string): Promise<string> => {
    const [row]: Array<{ id: string }> = await db.query(
      `SELECT id FROM market_instruments WHERE exchange = 'binance' AND symbol = $1`,
      [symbol],
    );
    return row.id;
  };

  const candles = async (symbol: string): Promise<FakeBar[]> => {
    const rows = await api.app.get(MarketStore).candleRows(await instrumentId(symbol), { from: 0, to: 8.64e15 }, M);
    return rows.map((r) => [r[0], r[1], r[2], r[3], r[4], r[5]]);
  };

  /** Bars as numbers: the database keeps the value, not the exchange's trailing zeros. */
  const values = (bars: FakeBar[]) => bars.map((b) => b.map(Number));

  /** What the exchange had closed when the run started: every bar the run should have stored. */
  const closedAt = (symbol: string, runStartedAt: Date) =>
    fake.bars(symbol, start, Math.floor(runStartedAt.getTime() / M) * M);

  const run = async (symbol: string, options: { attempts: number; trades?: boolean }): Promise<Job> => {
    const job = await producer.add(
      'market-sync',
      'market.sync',
      { exchange: 'binance', symbol, timeframe: '1m', trades: options.trades ?? false },
      { attempts: options.attempts, backoff: { type: 'fixed', delay: 300 } },
    );
    const queue = producer.queue('market-sync');
    return waitFor(`job ${job.id} to finish`, async () => {
      const s = await queue.getJobState(job.id!);
      if (s !== 'completed' && s !== 'failed') return undefined;
      return (await queue.getJob(job.id!)) ?? undefined;
    });
  };

  beforeAll(async () => {
    fake = await FakeExchange.start();
    for (const symbol of [BTC, ETH, SOL, XRP, ADA]) {
      // The exchange has an hour of history before MARKET_SYNC_START, which the sync must not fetch.
      fake.addMarket(symbol, { start: start - 60 * M, tradesFrom: symbol === BTC ? start + 30 * M : undefined });
    }
    fake.drop(ETH, dropFrom, dropTo);
    api = await createTestApi({
      env: {
        REDIS_URL: TEST_REDIS_URL,
        QUEUE_PREFIX: uniquePrefix('sync'),
        RUN_WORKER_IN_API: 'true',
        MARKET_SYNC: `binance:${BTC}:1m:trades,binance:${ETH}:1m`,
        MARKET_SYNC_EVERY_MS: '3600000',
        MARKET_SYNC_START: new Date(start).toISOString(),
        MARKET_SYNC_EXCHANGE_URLS: `binance=${fake.url}`,
      },
    });
    db = api.app.get(DataSource);
    producer = api.app.get(JobProducer);
  }, 60_000);

  afterAll(async () => {
    await db?.query(
      `DELETE FROM market_sync_state WHERE exchange IN ('binance', 'nosuchexchange')
          AND (symbol LIKE 'SYNC%' OR symbol IN ('NOPE/USDT', 'BTC/USDT'))`,
    );
    await db?.query(`DELETE FROM market_instruments WHERE exchange = 'binance' AND symbol LIKE 'SYNC%'`);
    await api?.close();
    await fake?.close();
  });

  it('syncs every configured series on start: exactly the closed bars from MARKET_SYNC_START', async () => {
    const s = await waitFor('the scheduled BTC run', async () => {
      const row = await state(BTC);
      return row?.last_success_at ? row : undefined;
    });
    expect(s.consecutive_failures).toBe(0);

    const expected = closedAt(BTC, s.last_run_at);
    const stored = await candles(BTC);
    expect(stored.length).toBe(expected.length);
    expect(stored.length).toBeGreaterThanOrEqual(2_499);
    expect(values(stored)).toEqual(values(expected));
    // Never the bar that was still open when the run started.
    expect(stored[stored.length - 1][0] + M).toBeLessThanOrEqual(s.last_run_at.getTime());
    expect(Number(s.bars_stored)).toBe(expected.length);

    // Pages of 1000 forward from MARKET_SYNC_START, each from the bar after the previous page.
    const starts = fake.requestsFor('klines', BTC).map((r) => r.startTime);
    expect(starts.slice(0, 3)).toEqual([start, start + 1_000 * M, start + 2_000 * M]);
    expect(fake.requestsFor('klines', BTC).every((r) => r.limit === 1000)).toBe(true);

    // Spot only: ccxt loaded the markets from exchangeInfo and never asked for futures listings.
    expect(fake.requests.filter((r) => !r.path.startsWith('/api/v3/'))).toEqual([]);
    const [instrument] = await db.query(
      `SELECT base, quote, price_precision, amount_precision, candle_timeframe_ms::int AS tf, metadata
         FROM market_instruments WHERE exchange = 'binance' AND symbol = $1`,
      [BTC],
    );
    expect(instrument).toEqual({
      base: 'SYNCBTC',
      quote: 'USDT',
      price_precision: 8,
      amount_precision: 3,
      tf: M,
      metadata: { source: 'ccxt', exchangeSymbol: 'SYNCBTCUSDT' },
    });
  }, 60_000);

  it('syncs trade prints of a series that asks for them', async () => {
    const s = await waitFor('the scheduled BTC run', async () => {
      const row = await state(BTC);
      return row?.last_success_at ? row : undefined;
    });
    const rows = (
      await api.app.get(MarketStore).listTrades(await instrumentId(BTC), { from: 0, to: 8.64e15 }, 10_000_000, 'first')
    ).map((r) => ({ trade_id: r.id, t: r.time, side: r.side, price: r.price, amount: r.amount }));
    const last = Number(rows[rows.length - 1].t);
    // Every trade the exchange had up to the newest one stored, and nothing that it had at the run's start is missing.
    expect(last).toBeGreaterThanOrEqual(fake.trades(BTC, start, s.last_run_at.getTime()).at(-1)!.time);
    const expected = fake.trades(BTC, start, last);
    expect(rows.length).toBe(expected.length);
    expect(rows.length).toBeGreaterThan(10_000);
    expect(Number(s.trades_stored)).toBe(rows.length);
    expect(rows.map((r) => [r.trade_id, Number(r.t), r.side, Number(r.price), Number(r.amount)])).toEqual(
      expected.map((t) => [String(t.id), t.time, t.side === 'buy' ? 1 : -1, Number(t.price), Number(t.amount)]),
    );
    // Some hours hold more than one page of 1000: after a full page the sync asked again from its
    // last trade's millisecond (inclusive, so trades sharing it are not lost).
    const windows = fake.requestsFor('aggTrades', BTC);
    const full = windows.findIndex((r) => r.returned === 1000);
    expect(full).toBeGreaterThanOrEqual(0);
    const lastOfPage = fake.trades(BTC, windows[full].startTime!, windows[full].endTime!)[999].time;
    expect(windows[full + 1].startTime).toBe(lastOfPage);
  }, 60_000);

  it('records a gap the exchange cannot fill, once, and stores everything around it', async () => {
    const s = await waitFor('the scheduled ETH run', async () => {
      const row = await state(ETH);
      return row?.last_success_at ? row : undefined;
    });
    const expected = closedAt(ETH, s.last_run_at);
    const stored = await candles(ETH);
    expect(values(stored)).toEqual(values(expected));
    expect(stored.some((b) => b[0] >= dropFrom && b[0] < dropTo)).toBe(false);

    const gapsOf = () =>
      db.query(
        `SELECT (extract(epoch FROM g.gap_start) * 1000)::bigint::float8 AS start,
                (extract(epoch FROM g.gap_end) * 1000)::bigint::float8 AS "end", g.missing_bars, g.timeframe_ms::int AS tf
           FROM market_sync_gaps g JOIN market_instruments i ON i.id = g.instrument_id
          WHERE i.exchange = 'binance' AND i.symbol = $1`,
        [ETH],
      );
    expect(await gapsOf()).toEqual([{ start: dropFrom, end: dropTo, missing_bars: 100, tf: M }]);
    expect(s.gaps_found).toBe(1);

    // A later run neither records it again nor refetches the bars around it: it asks (when a bar
    // has closed since) only for the bars after the last stored one.
    const asked = fake.requestsFor('klines', ETH).length;
    const again = await run(ETH, { attempts: 1 });
    expect(await again.getState()).toBe('completed');
    expect(again.returnvalue).toMatchObject({ gapsFound: 0, skipped: false });
    expect(await gapsOf()).toHaveLength(1);
    const later = fake.requestsFor('klines', ETH).slice(asked);
    expect(later.length).toBeLessThanOrEqual(1);
    for (const r of later) expect(r.startTime).toBe(stored[stored.length - 1][0] + M);
  }, 60_000);

  it('waits out a 429 answer (Retry-After) and still completes the sync', async () => {
    const waits = async () => (await register.getSingleMetric('market_sync_rate_limit_waits_total')!.get()).values;
    const before = (await waits()).reduce((sum, v) => sum + v.value, 0);
    fake.rateLimit(SOL, 2, 1);

    const job = await run(SOL, { attempts: 1 });
    expect(job.failedReason).toBeUndefined();
    expect(await job.getState()).toBe('completed');

    const requests = fake.requestsFor('klines', SOL);
    expect(requests.slice(0, 3).map((r) => [r.status, r.startTime])).toEqual([
      [429, start],
      [429, start],
      [200, start],
    ]);
    // Retry-After: 1 was honoured before each repeat.
    expect(requests[1].at - requests[0].at).toBeGreaterThanOrEqual(950);
    expect(requests[2].at - requests[1].at).toBeGreaterThanOrEqual(950);
    const s = await state(SOL);
    expect(values(await candles(SOL))).toEqual(values(closedAt(SOL, s.last_run_at)));
    expect(job.returnvalue).toMatchObject({ barsStored: closedAt(SOL, s.last_run_at).length, caughtUp: true });
    expect((await waits()).reduce((sum, v) => sum + v.value, 0) - before).toBe(2);
  }, 60_000);

  it('keeps the pages stored before a failure, and the next run resumes from the last stored bar', async () => {
    fake.failAfter(XRP, 2);
    const failed = await run(XRP, { attempts: 1 });
    expect(await failed.getState()).toBe('failed');
    expect(failed.failedReason).toMatch(/^binance is unavailable: OperationFailed: binance .*-1001/);

    // Two pages of 1000 made it to the database.
    const kept = await candles(XRP);
    expect(kept.length).toBe(2_000);
    expect(kept[kept.length - 1][0]).toBe(start + 1_999 * M);
    expect(await state(XRP)).toMatchObject({ consecutive_failures: 1, bars_stored: '2000' });
    expect((await state(XRP)).last_error).toContain('-1001');

    const resumed = await run(XRP, { attempts: 1 });
    expect(await resumed.getState()).toBe('completed');
    const s = await state(XRP);
    const expected = closedAt(XRP, s.last_run_at);
    expect(values(await candles(XRP))).toEqual(values(expected));
    expect(resumed.returnvalue).toMatchObject({ barsStored: expected.length - 2_000 });
    expect(s).toMatchObject({ consecutive_failures: 0, bars_stored: String(expected.length) });

    // The failed request and the resumed run's first one both ask for the bar after the last stored one.
    expect(fake.requestsFor('klines', XRP).map((r) => [r.status, r.startTime])).toEqual([
      [200, start],
      [200, start + 1_000 * M],
      [500, start + 2_000 * M],
      [200, start + 2_000 * M],
    ]);
  }, 60_000);

  it('retries a failed run through BullMQ, resuming where the failed attempt stopped', async () => {
    fake.failAfter(ADA, 1);
    const job = await run(ADA, { attempts: 2 });
    expect(await job.getState()).toBe('completed');
    expect(job.attemptsMade).toBe(2);
    const s = await state(ADA);
    expect(values(await candles(ADA))).toEqual(values(closedAt(ADA, s.last_run_at)));
    expect(fake.requestsFor('klines', ADA).map((r) => [r.status, r.startTime])).toEqual([
      [200, start],
      [500, start + 1_000 * M],
      [200, start + 1_000 * M],
      [200, start + 2_000 * M],
    ]);
  }, 60_000);

  it('fails an unknown symbol or exchange at once, without retries', async () => {
    const symbol = await run('NOPE/USDT', { attempts: 3 });
    expect(await symbol.getState()).toBe('failed');
    expect(symbol.attemptsMade).toBe(1);
    expect(symbol.failedReason).toBe('binance lists no spot market NOPE/USDT.');

    const job = await producer.add(
      'market-sync',
      'market.sync',
      { exchange: 'nosuchexchange', symbol: 'BTC/USDT', timeframe: '1m', trades: false },
      { attempts: 3 },
    );
    const failed = await waitFor('the unknown exchange job', async () =>
      (await producer.queue('market-sync').getJobState(job.id!)) === 'failed'
        ? producer.queue('market-sync').getJob(job.id!)
        : undefined,
    );
    expect(failed.attemptsMade).toBe(1);
    expect(failed.failedReason).toBe('ccxt has no exchange "nosuchexchange".');
  }, 60_000);

  it('keeps one job scheduler per configured series and removes those no longer configured', async () => {
    const queue = producer.queue('market-sync');
    await queue.upsertJobScheduler(
      'market-sync|binance|GONE/USDT|1m',
      { pattern: '0 0 1 1 *' },
      { name: 'market.sync', data: { exchange: 'binance', symbol: 'GONE/USDT', timeframe: '1m', trades: false } },
    );
    await queue.upsertJobScheduler('someone-else', { pattern: '0 0 1 1 *' }, { name: 'other' });

    await api.app.get(MarketSyncProcessor).schedule();

    const schedulers = await queue.getJobSchedulers(0, -1);
    const ours = schedulers
      .filter((s) => s.key.startsWith('market-sync|'))
      .map((s) => [s.key, s.every, s.template?.data])
      .sort();
    expect(ours).toEqual([
      [`market-sync|binance|${BTC}|1m`, 3_600_000, { exchange: 'binance', symbol: BTC, timeframe: '1m', trades: true }],
      [
        `market-sync|binance|${ETH}|1m`,
        3_600_000,
        { exchange: 'binance', symbol: ETH, timeframe: '1m', trades: false },
      ],
    ]);
    expect(schedulers.map((s) => s.key)).toContain('someone-else');
    await queue.removeJobScheduler('someone-else');
  }, 60_000);
});
