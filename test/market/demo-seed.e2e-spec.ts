import { DataSource } from 'typeorm';
import { candlesFromTrades } from '@app/engine';
import {
  DEMO_EXCHANGE,
  DEMO_SOURCE,
  DEMO_SYMBOLS,
  DemoSeedReport,
  DemoSeedService,
  InstrumentRecord,
  InstrumentRepository,
  MarketModule,
  MarketStore,
  parseDecimal,
} from '@app/market';
import { loadConfig } from '@app/platform';
import { testEnv } from '@app/testing';
import { createTestApi, TestApi } from '../support/test-app';

const MINUTE = 60_000;
const DAY = 86_400_000;
const YEAR_MINUTES = 525_600;
const WINDOW_MINUTES = 3 * 1_440;

describe('demo market data', () => {
  let api: TestApi;
  let db: DataSource;
  let seeder: DemoSeedService;
  let first: DemoSeedReport | null;
  const instrument = async (symbol: string): Promise<InstrumentRecord> =>
    (await api.app.get(InstrumentRepository).find(DEMO_EXCHANGE, symbol))!;

  beforeAll(async () => {
    // MARKET_DEMO_DATA=true seeds outside the embedded mode too (never in production).
    api = await createTestApi({ env: { MARKET_DEMO_DATA: 'true' }, extraModules: [MarketModule] });
    db = api.app.get(DataSource);
    seeder = api.app.get(DemoSeedService);
    first = await seeder.whenSeeded();
  }, 240_000);

  afterAll(async () => {
    await db?.query(`DELETE FROM market_instruments WHERE exchange = $1`, [DEMO_EXCHANGE]);
    await api?.close();
  });

  it('seeds in the embedded mode by default, elsewhere only when asked, never in production', () => {
    const embedded = { DATABASE_URL: undefined };
    expect(DemoSeedService.enabledFor(loadConfig(testEnv(embedded)))).toBe(true);
    expect(DemoSeedService.enabledFor(loadConfig(testEnv({ ...embedded, MARKET_DEMO_DATA: 'false' })))).toBe(false);
    expect(DemoSeedService.enabledFor(loadConfig(testEnv()))).toBe(false);
    expect(DemoSeedService.enabledFor(loadConfig(testEnv({ MARKET_DEMO_DATA: 'true' })))).toBe(true);
    expect(() => loadConfig(testEnv({ NODE_ENV: 'production', MARKET_DEMO_DATA: 'true' }))).toThrow(
      /MARKET_DEMO_DATA must not be true when NODE_ENV=production/,
    );
  });

  it('seeds every demo symbol in the background after start', () => {
    expect(first).toMatchObject({ exchange: DEMO_EXCHANGE, status: 'done' });
    expect(first!.end! % DAY).toBe(0);
    expect(first!.symbols.map((s) => [s.symbol, s.status, s.candlesInserted])).toEqual(
      DEMO_SYMBOLS.map((s) => [s.symbol, 'seeded', YEAR_MINUTES]),
    );
    for (const s of first!.symbols) expect(s.tradesInserted).toBeGreaterThan(WINDOW_MINUTES);
  });

  it('stores a year of 1m candles and three days of trades per symbol, marked synthetic', async () => {
    const store = api.app.get(MarketStore);
    const end = first!.end!;
    for (const spec of DEMO_SYMBOLS) {
      const stored = await instrument(spec.symbol);
      expect(stored).toMatchObject({
        base: spec.base,
        quote: spec.quote,
        pricePrecision: spec.priceDecimals,
        amountPrecision: spec.amountDecimals,
        candleTimeframeMs: MINUTE,
        hasTrades: true,
        metadata: {
          synthetic: true,
          source: DEMO_SOURCE,
          seed: expect.any(Number),
          candles: { timeframe: '1m', count: YEAR_MINUTES, to: new Date(end).toISOString() },
        },
      });
      const all = { from: 0, to: Number.MAX_SAFE_INTEGER };
      expect(await store.candleStats(stored.id, all)).toEqual({
        count: YEAR_MINUTES,
        first: end - YEAR_MINUTES * MINUTE,
        last: end - MINUTE,
      });
      const trades = await store.tradeStats(stored.id, all);
      expect(trades.count).toBe((stored.metadata.trades as { count: number }).count);
      expect(stored.metadata.verified).toEqual({ candles: YEAR_MINUTES, trades: trades.count });
      expect(trades.first).toBeGreaterThanOrEqual(end - WINDOW_MINUTES * MINUTE);
      expect(trades.last).toBeLessThan(end);
    }
  }, 30_000);

  it('makes the candles of the trade window exactly the aggregate of its trades', async () => {
    const end = first!.end!;
    const windowStart = end - WINDOW_MINUTES * MINUTE;
    for (const spec of DEMO_SYMBOLS) {
      const { id } = await instrument(spec.symbol);
      // Exact, in decimals: every window minute has trades, and its bar is their OHLCV.
      const store = api.app.get(MarketStore);
      const stored = await store.candleRows(id, { from: windowStart, to: end }, MINUTE);
      const prints = await store.listTrades(id, { from: 0, to: 8.64e15 }, 10_000_000, 'first');
      const byMinute = new Map<number, typeof prints>();
      for (const p of prints) {
        const m = Math.floor(p.time / MINUTE) * MINUTE;
        if (!byMinute.has(m)) byMinute.set(m, []);
        byMinute.get(m)!.push(p);
      }
      let mismatches = 0;
      const minutes = new Set([...byMinute.keys(), ...stored.map((r) => r[0])]).size;
      for (const [t, o, h, l, c, v] of stored) {
        const ps = byMinute.get(t);
        if (!ps) {
          mismatches++;
          continue;
        }
        const prices = ps.map((p) => Number(p.price));
        const same =
          Number(o) === prices[0] &&
          Number(h) === Math.max(...prices) &&
          Number(l) === Math.min(...prices) &&
          Number(c) === prices[prices.length - 1] &&
          exactSum(ps.map((p) => p.amount)) === exactSum([v]);
        if (!same) mismatches++;
      }
      const check = { minutes, mismatches };
      expect(check).toEqual({ minutes: WINDOW_MINUTES, mismatches: 0 });

      // As a tick backtest reads them.
      const bars = await store.loadCandles(id, { from: windowStart, to: end }, MINUTE);
      const fromTrades = candlesFromTrades(await store.loadTrades(id, { from: windowStart, to: end }), MINUTE);
      for (const key of ['time', 'open', 'high', 'low', 'close'] as const) expect(fromTrades[key]).toEqual(bars[key]);
      fromTrades.volume.forEach((v, i) => expect(v).toBeCloseTo(bars.volume[i], 6));
    }
  }, 30_000);

  it('stores nothing new when seeded again', async () => {
    const versions = await Promise.all(DEMO_SYMBOLS.map(async (s) => (await instrument(s.symbol)).dataVersion));
    const again = await seeder.seed();
    expect(again).toMatchObject({ status: 'done', end: first!.end });
    expect(again.symbols).toEqual(
      DEMO_SYMBOLS.map((s) => ({ symbol: s.symbol, status: 'complete', candlesInserted: 0, tradesInserted: 0 })),
    );
    expect(await Promise.all(DEMO_SYMBOLS.map(async (s) => (await instrument(s.symbol)).dataVersion))).toEqual(
      versions,
    );
  }, 30_000);

  it('completes a seed that was cut short, with the same rows', async () => {
    const eth = await instrument('ETH/USD');
    const cut = first!.end! - 5 * DAY;
    const store = api.app.get(MarketStore);
    const snapshot = async () => ({
      candles: await store.candleRows(eth.id, { from: cut, to: 8.64e15 }, MINUTE),
      trades: await store.listTrades(eth.id, { from: cut, to: 8.64e15 }, 10_000_000, 'first'),
    });
    const before = await snapshot();
    // As if the process died after the first part of the year was stored: nothing verified yet.
    await db.query(`UPDATE market_instruments SET metadata = metadata - 'verified' WHERE id = $1`, [eth.id]);
    const deleted = async (table: string, from: number) => {
      const [rows]: [Array<{ n: number }>] = await db.query(
        `DELETE FROM ${table} WHERE instrument_id = $1 AND chunk_start >= $2 RETURNING row_count AS n`,
        [eth.id, from],
      );
      return rows.reduce((sum, r) => sum + r.n, 0);
    };
    const candles = await deleted('market_candle_chunks', cut);
    const trades = await deleted('market_trade_chunks', 0);

    const resumed = await seeder.seed();
    expect(resumed.symbols.find((s) => s.symbol === 'ETH/USD')).toEqual({
      symbol: 'ETH/USD',
      status: 'seeded',
      candlesInserted: candles,
      tradesInserted: trades,
    });
    expect(resumed.symbols.filter((s) => s.status === 'complete').map((s) => s.symbol)).toEqual(['BTC/USD', 'SOL/USD']);
    expect(await snapshot()).toEqual(before);
    expect((await instrument('ETH/USD')).metadata.verified).toEqual({ candles: YEAR_MINUTES, trades });
  }, 60_000);

  it('leaves the seeding to the process that holds the lock', async () => {
    const other = db.createQueryRunner();
    await other.connect();
    try {
      await other.query(`SELECT pg_advisory_lock(hashtext('quant:market-demo-seed'))`);
      expect(await seeder.seed()).toMatchObject({ status: 'busy', symbols: [] });
    } finally {
      await other.query(`SELECT pg_advisory_unlock(hashtext('quant:market-demo-seed'))`);
      await other.release();
    }
  });
});

/** The exact sum of decimal texts, as text (scaled integers, no float rounding). */
function exactSum(values: string[]): string {
  const parsed = values.map((v) => parseDecimal(v)!);
  const e = Math.max(0, ...parsed.map((d) => d.s));
  let total = 0n;
  for (const d of parsed) total += BigInt(d.m) * 10n ** BigInt(e - d.s);
  const digits = total.toString().padStart(e + 1, '0');
  const text = e === 0 ? digits : `${digits.slice(0, digits.length - e)}.${digits.slice(digits.length - e)}`;
  return e === 0 ? text : text.replace(/\.?0+$/, '');
}
