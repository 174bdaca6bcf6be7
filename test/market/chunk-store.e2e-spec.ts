import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { DataSource } from 'typeorm';
import {
  ImportRequest,
  ImportService,
  InstrumentRepository,
  MarketStore,
  formatScaled,
  parseDecimal,
} from '@app/market';
import { TEST_REDIS_URL, uniquePrefix } from '@app/testing';
import { createTestApi, TestApi } from '../support/test-app';
import { JWT_SECRET, bearer, register } from '../auth/auth-helpers';

const FIXTURES = join(__dirname, '..', 'fixtures');
const btcJson = readFileSync(join(FIXTURES, 'UNITTEST_BTC-1m.json'));
const btcRows: number[][] = JSON.parse(btcJson.toString('utf8'));
const xrpJson = readFileSync(join(FIXTURES, 'XRP_ETH-trades.json'));
const xrpRows: Array<[number, string, null, string, number, number, number]> = JSON.parse(xrpJson.toString('utf8'));
const ethCsv = readFileSync(join(FIXTURES, 'ETH_USDT-trades-2023.csv'), 'utf8');

/** A decimal's canonical text (what the store gives back: trailing zeros dropped). */
const canonical = (v: string | number) => {
  const d = parseDecimal(v)!;
  return formatScaled(d.m, d.s);
};

const bytes = (content: string | Buffer): AsyncIterable<Buffer> =>
  Readable.from([Buffer.isBuffer(content) ? content : Buffer.from(content)]);

describe('the chunked series store', () => {
  let api: TestApi;
  let userToken: string;
  let db: DataSource;
  let imports: ImportService;
  let store: MarketStore;
  const exchange = `e2e${uniquePrefix('c').slice(-6)}`;

  beforeAll(async () => {
    api = await createTestApi({
      env: { JWT_SECRET, REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: uniquePrefix('chunks'), RUN_WORKER_IN_API: 'false' },
    });
    userToken = (await register(api)).accessToken;
    db = api.app.get(DataSource);
    imports = api.app.get(ImportService);
    store = api.app.get(MarketStore);
  }, 60_000);
  afterAll(async () => {
    await db?.query(`DELETE FROM market_instruments WHERE exchange = $1`, [exchange]);
    await api?.close();
  });

  const run = (request: Omit<ImportRequest, 'exchange'>, content: string | Buffer) =>
    imports.importFile({ exchange, ...request }, bytes(content), Buffer.byteLength(content));
  const instrumentId = async (symbol: string) => (await api.app.get(InstrumentRepository).find(exchange, symbol))!.id;
  const get = (url: string) => api.inject({ url, headers: bearer(userToken) });

  it('gives back every 1m candle of UNITTEST_BTC-1m.json exactly as imported', async () => {
    const done = await run({ symbol: 'UBTC/BTC', timeframe: '1m', fileName: 'UNITTEST_BTC-1m.json' }, btcJson);
    expect(done).toMatchObject({ status: 'completed', inserted: btcRows.length, rejected: 0, gaps: 538 });
    const id = await instrumentId('UBTC/BTC');
    const stored = await store.candleRows(id, { from: 0, to: 8.64e15 }, 60_000);
    expect(stored).toEqual(btcRows.map((r) => [r[0], ...r.slice(1, 6).map(canonical)]));
    // The engine's arrays hold the doubles the file's numbers are.
    const series = await store.loadCandles(id, { from: 0, to: 8.64e15 }, 60_000);
    expect(Array.from(series.close)).toEqual(btcRows.map((r) => r[4]));
    expect(Array.from(series.volume)).toEqual(btcRows.map((r) => r[5]));
    // One row a UTC day.
    const [{ chunks }] = await db.query(
      `SELECT count(*)::int AS chunks FROM market_candle_chunks WHERE instrument_id = $1`,
      [id],
    );
    expect(chunks).toBe(11);
  });

  it('gives back every print of XRP_ETH-trades.json and ETH_USDT-trades-2023.csv exactly as imported', async () => {
    const xrp = await run({ symbol: 'XRP/ETH', fileName: 'XRP_ETH-trades.json' }, xrpJson);
    expect(xrp).toMatchObject({ status: 'completed', inserted: xrpRows.length, rejected: 0 });
    const xrpStored = await store.listTrades(await instrumentId('XRP/ETH'), { from: 0, to: 8.64e15 }, 1e9, 'first');
    const key = (t: { id: string }) => t.id;
    expect(new Map(xrpStored.map((t) => [key(t), [t.time, t.side, t.price, t.amount]]))).toEqual(
      new Map(xrpRows.map((r) => [r[1], [r[0], r[3] === 'buy' ? 1 : -1, canonical(r[4]), canonical(r[5])]])),
    );
    expect(xrpStored.map((t) => t.time)).toEqual([...xrpRows.map((r) => r[0])].sort((x, y) => x - y));

    const eth = await run({ symbol: 'ETH/USDT', fileName: 'ETH_USDT-trades-2023.csv' }, ethCsv);
    expect(eth).toMatchObject({ status: 'completed', inserted: 1000, rejected: 0 });
    const lines = ethCsv
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(','));
    const ethStored = await store.listTrades(await instrumentId('ETH/USDT'), { from: 0, to: 8.64e15 }, 1e9, 'first');
    expect(ethStored).toEqual(
      lines.map((c) => ({
        time: Number(c[1]),
        id: c[2],
        side: c[4] === 'buy' ? 1 : -1,
        price: canonical(c[5]),
        amount: canonical(c[6]),
      })),
    );
    // The API answers the same text.
    const res = await get(`/api/v1/market/trades?exchange=${exchange}&symbol=ETH/USDT&from=0&limit=2`);
    expect(res.json().trades).toEqual(ethStored.slice(0, 2).map((t) => [t.time, t.id, t.side, t.price, t.amount]));
  });

  it('merges an overlapping import into the stored chunks, and a re-import changes nothing', async () => {
    const head = JSON.stringify(btcRows.slice(0, 6_000));
    const tail = JSON.stringify(btcRows.slice(4_000));
    expect(await run({ symbol: 'MBTC/BTC', timeframe: '1m' }, head)).toMatchObject({ inserted: 6_000 });
    const version = async () =>
      (await db.query(`SELECT data_version FROM market_instruments WHERE id = $1`, [await instrumentId('MBTC/BTC')]))[0]
        .data_version;
    const v1 = await version();
    expect(await run({ symbol: 'MBTC/BTC' }, tail)).toMatchObject({
      inserted: btcRows.length - 6_000,
      duplicates: 2_000,
    });
    const id = await instrumentId('MBTC/BTC');
    expect(await store.candleRows(id, { from: 0, to: 8.64e15 }, 60_000)).toEqual(
      btcRows.map((r) => [r[0], ...r.slice(1, 6).map(canonical)]),
    );
    const v2 = await version();
    expect(Number(v2)).toBe(Number(v1) + 1);
    expect(await run({ symbol: 'MBTC/BTC' }, btcJson)).toMatchObject({ inserted: 0, duplicates: btcRows.length });
    expect(await version()).toBe(v2);

    // Prints by trade id: the overlap is counted once.
    const csv = (rows: string[]) => ['timestamp,id,side,price,amount', ...rows].join('\n');
    const t0 = Date.UTC(2024, 0, 1);
    const p = (k: number, price = '100.5') => `${t0 + k * 1000},${1000 + k},buy,${price},0.25`;
    expect(await run({ symbol: 'MT/USD' }, csv([0, 1, 2, 3].map((k) => p(k))))).toMatchObject({ inserted: 4 });
    const merged = await run({ symbol: 'MT/USD' }, csv([2, 3, 4, 5].map((k) => p(k))));
    expect(merged).toMatchObject({ inserted: 2, duplicates: 2, rejected: 0 });
    // The same id with another price is refused with its line; the rest of the file is stored.
    const clash = await run({ symbol: 'MT/USD' }, csv([p(5, '101'), p(6)]));
    expect(clash).toMatchObject({ inserted: 1, rejected: 1 });
    expect(clash.rejections).toEqual([{ line: 2, reason: expect.stringMatching(/trade id 1005 is already stored/) }]);
    const stored = await store.listTrades(await instrumentId('MT/USD'), { from: 0, to: 8.64e15 }, 100, 'first');
    expect(stored.map((t) => [t.id, t.price])).toEqual([0, 1, 2, 3, 4, 5, 6].map((k) => [String(1000 + k), '100.5']));
  });

  it('refuses values it cannot store exactly, with their lines, and stores the rest', async () => {
    const t0 = Date.UTC(2024, 0, 1);
    const file = [
      'timestamp,id,side,price,amount',
      `${t0},1,buy,100.5,1`,
      `${t0 + 1},2,buy,100.12345678901234567,1`, // 20 significant digits
      `${t0 + 2},3,sell,100.25,0.000000000000000000001`, // below any scale next to 100
      `${t0 + 1},4,buy,100.5,1`, // going back in time
      `${t0 + 3},5,buy,100.75,2`,
    ].join('\n');
    const done = await run({ symbol: 'PX/USD' }, file);
    expect(done).toMatchObject({ status: 'completed', rowsRead: 5, inserted: 2, rejected: 3 });
    expect(done.rejections.map((r) => r.line).sort()).toEqual([3, 4, 5]);
    expect(done.rejections.find((r) => r.line === 3)!.reason).toMatch(/15 significant digits/);
    expect(done.rejections.find((r) => r.line === 5)!.reason).toMatch(/before the previous row/);
    const stored = await store.listTrades(await instrumentId('PX/USD'), { from: 0, to: 8.64e15 }, 100, 'first');
    expect(stored.map((t) => t.price)).toEqual(['100.5', '100.75']);
  });

  it('answers coverage and gaps from the chunk summaries, also over part of a chunk', async () => {
    const from = btcRows[3_000][0] + 30_000;
    const to = btcRows[9_000][0];
    const res = await get(`/api/v1/market/coverage?exchange=${exchange}&symbol=UBTC/BTC&from=${from}&to=${to}`);
    expect(res.statusCode).toBe(200);
    const inRange = btcRows.filter((r) => r[0] >= from && r[0] < to);
    let gaps = 0;
    for (let i = 1; i < inRange.length; i++) if (inRange[i][0] - inRange[i - 1][0] > 60_000) gaps++;
    expect(res.json().candles).toMatchObject({
      count: inRange.length,
      first: new Date(inRange[0][0]).toISOString(),
      last: new Date(inRange[inRange.length - 1][0]).toISOString(),
      gapCount: gaps,
    });
    // 1d bars come from the summaries and equal the bars aggregated from every minute.
    const day = await get(`/api/v1/market/candles?exchange=${exchange}&symbol=UBTC/BTC&timeframe=1d&from=0&limit=100`);
    const byDay = new Map<number, number[]>();
    for (const [t, o, h, l, c, v] of btcRows) {
      const d = t - (t % 86_400_000);
      const bar = byDay.get(d);
      if (!bar) byDay.set(d, [d, o, h, l, c, v]);
      else {
        bar[2] = Math.max(bar[2], h);
        bar[3] = Math.min(bar[3], l);
        bar[4] = c;
        bar[5] += v;
      }
    }
    expect(day.json().bars).toEqual([...byDay.values()]);
  });

  it('digests exactly the stored data of a range from the chunk digests and the edge slices', async () => {
    const id = await instrumentId('UBTC/BTC');
    const k = btcRows.findIndex((r, i) => i > 0 && r[0] - btcRows[i - 1][0] > 60_000);
    const hole = btcRows[k - 1][0] + 60_000;
    const all = { from: 0, to: 8.64e15 };
    // A range that ends just before the hole, inside the same chunk.
    const before = { from: btcRows[100][0], to: hole };
    const digestAll = await store.seriesDigest('candles', id, all, 60_000);
    const digestBefore = await store.seriesDigest('candles', id, before, 60_000);
    expect(await store.seriesDigest('candles', id, all, 60_000)).toBe(digestAll);
    expect(digestBefore).not.toBe(digestAll);
    const bar = [hole, btcRows[k - 1][4], btcRows[k - 1][4], btcRows[k - 1][4], btcRows[k - 1][4], 1];
    expect(await run({ symbol: 'UBTC/BTC' }, JSON.stringify([bar]))).toMatchObject({ inserted: 1 });
    // The new bar is in the whole range but not in the one that ends before it, though it shares its chunk.
    expect(await store.seriesDigest('candles', id, all, 60_000)).not.toBe(digestAll);
    expect(await store.seriesDigest('candles', id, before, 60_000)).toBe(digestBefore);
  });

  it('fails a read of a corrupted chunk with a 500 naming it, and counts it', async () => {
    const id = await instrumentId('MBTC/BTC');
    const [{ start }] = await db.query(
      `SELECT chunk_start::float8 AS start FROM market_candle_chunks WHERE instrument_id = $1 ORDER BY chunk_start LIMIT 1`,
      [id],
    );
    // One flipped bit inside the packed bytes.
    await db.query(
      `UPDATE market_candle_chunks SET data = set_byte(data, 40, get_byte(data, 40) # 1)
        WHERE instrument_id = $1 AND chunk_start = $2`,
      [id, start],
    );
    await expect(store.loadCandles(id, { from: 0, to: 8.64e15 }, 60_000)).rejects.toMatchObject({
      code: 'MARKET_CHUNK_CORRUPT',
      message: expect.stringContaining(`instrument ${id} starting ${new Date(start).toISOString()}`),
    });
    const res = await get(`/api/v1/market/candles?exchange=${exchange}&symbol=MBTC/BTC&timeframe=1m&from=0`);
    expect(res.statusCode).toBe(500);
    expect(res.json().code).toBe('MARKET_CHUNK_CORRUPT');
    expect((await api.inject({ url: '/metrics' })).body).toMatch(/market_chunk_corrupt_total\{kind="candles"\} [1-9]/);
    // An import into the corrupted chunk fails and leaves it as it was, rather than merging into bad numbers.
    await expect(run({ symbol: 'MBTC/BTC' }, btcJson)).rejects.toMatchObject({ code: 'MARKET_CHUNK_CORRUPT' });
  });
});
