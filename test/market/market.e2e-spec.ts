import { readFileSync } from 'node:fs';
import { DataSource } from 'typeorm';
import { MarketStore } from '@app/market';
import { fixturePath, TEST_REDIS_URL, uniquePrefix } from '@app/testing';
import { createTestApi, TestApi } from '../support/test-app';
import { JWT_SECRET, bearer, expectProblem, register, registerAdmin } from '../auth/auth-helpers';

/** A multipart/form-data body: fields first, then the file. */
function multipart(fields: Record<string, string>, file: { name: string; content: Buffer | string }) {
  const boundary = `----quant${Math.random().toString(16).slice(2)}`;
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  }
  parts.push(
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.name}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
    ),
    Buffer.isBuffer(file.content) ? file.content : Buffer.from(file.content),
    Buffer.from(`\r\n--${boundary}--\r\n`),
  );
  return { payload: Buffer.concat(parts), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

const exchange = `e2e${uniquePrefix('m').slice(-6)}`;
const btcJson = readFileSync(fixturePath('UNITTEST_BTC-1m.json'));
const btcRows: number[][] = JSON.parse(btcJson.toString('utf8'));
const xrpJson = readFileSync(fixturePath('XRP_ETH-trades.json'));
const xrpRows: Array<[number, string, null, string, number, number, number]> = JSON.parse(xrpJson.toString('utf8'));

/** Independent OHLCV aggregation with plain objects, to check the server's typed-array path. */
function aggregate(rows: number[][], tfMs: number) {
  const buckets = new Map<number, number[]>();
  for (const [t, o, h, l, c, v] of rows) {
    const b = t - (t % tfMs);
    const bar = buckets.get(b);
    if (!bar) buckets.set(b, [b, o, h, l, c, v]);
    else {
      bar[2] = Math.max(bar[2], h);
      bar[3] = Math.min(bar[3], l);
      bar[4] = c;
      bar[5] += v;
    }
  }
  return [...buckets.values()].sort((a, b) => a[0] - b[0]);
}

describe('market data', () => {
  let a: TestApi; // runs the import worker
  let b: TestApi; // a second API instance on the same Redis
  let adminToken: string;
  let userToken: string;
  const prefix = uniquePrefix('market');

  const env = (extra: Record<string, string> = {}) => ({
    JWT_SECRET,
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: prefix,
    MARKET_IMPORT_MAX_BYTES: '2mb',
    ...extra,
  });

  beforeAll(async () => {
    a = await createTestApi({ env: env({ RUN_WORKER_IN_API: 'true' }) });
    b = await createTestApi({ env: env({ RUN_WORKER_IN_API: 'false' }) });
    adminToken = (await registerAdmin(a)).accessToken;
    userToken = (await register(a)).accessToken;
  }, 60_000);
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  async function upload(fields: Record<string, string>, name: string, content: Buffer | string, token = adminToken) {
    const body = multipart(fields, { name, content });
    return a.inject({
      method: 'POST',
      url: '/api/v1/market/imports',
      payload: body.payload,
      headers: { ...body.headers, ...bearer(token) },
    });
  }

  async function finished(id: string) {
    for (let i = 0; i < 400; i++) {
      const res = await a.inject({ url: `/api/v1/market/imports/${id}`, headers: bearer(adminToken) });
      const body = res.json();
      if (body.status === 'completed' || body.status === 'failed') return body;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`import ${id} did not finish`);
  }

  async function importFile(fields: Record<string, string>, name: string, content: Buffer | string) {
    const res = await upload(fields, name, content);
    expect(res.statusCode).toBe(202);
    expect(res.json().status).toBe('queued');
    return finished(res.json().id);
  }

  const get = (api: TestApi, url: string, headers: Record<string, string> = {}) =>
    api.inject({ url, headers: { ...bearer(userToken), ...headers } });

  it('imports freqtrade 1m candles, reports the 538 gaps, and a re-import changes nothing', async () => {
    const first = await importFile({ exchange, symbol: 'BTC/ETH', timeframe: '1m' }, 'UNITTEST_BTC-1m.json', btcJson);
    expect(first).toMatchObject({
      status: 'completed',
      kind: 'candles',
      format: 'json-candles',
      timeframe: '1m',
      rowsRead: 13_681,
      inserted: 13_681,
      duplicates: 0,
      rejected: 0,
      gaps: 538,
      firstTime: '2017-11-04T23:02:00.000Z',
      lastTime: '2017-11-14T22:59:00.000Z',
    });
    const again = await importFile({ exchange, symbol: 'BTC/ETH' }, 'UNITTEST_BTC-1m.json', btcJson);
    expect(again).toMatchObject({ status: 'completed', inserted: 0, duplicates: 13_681, timeframe: '1m' });

    const cov = await get(a, `/api/v1/market/coverage?exchange=${exchange}&symbol=BTC/ETH`);
    expect(cov.statusCode).toBe(200);
    const candles = cov.json().candles;
    expect(candles).toMatchObject({ timeframe: '1m', count: 13_681, gapCount: 538, gapsTruncated: false });
    expect(candles.gaps).toHaveLength(538);
    expect(candles.missingBars).toBe(candles.expected - candles.count);
    // The first gap, checked against the file.
    const k = btcRows.findIndex((r, i) => i > 0 && r[0] - btcRows[i - 1][0] > 60_000);
    expect(candles.gaps[0].from).toBe(new Date(btcRows[k - 1][0] + 60_000).toISOString());
    expect(candles.gaps[0].to).toBe(new Date(btcRows[k][0] - 60_000).toISOString());
  });

  it('aggregates higher timeframes on the fly exactly like an independent computation', async () => {
    for (const [tf, ms] of [
      ['1m', 60_000],
      ['15m', 900_000],
      ['1h', 3_600_000],
      ['1d', 86_400_000],
    ] as const) {
      const res = await get(
        a,
        `/api/v1/market/candles?exchange=${exchange}&symbol=BTC/ETH&timeframe=${tf}&from=2017-11-01T00:00:00Z&limit=5000`,
      );
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.columns).toEqual(['openTime', 'open', 'high', 'low', 'close', 'volume']);
      const expected = aggregate(btcRows, ms).slice(0, 5000);
      expect(body.bars).toHaveLength(expected.length);
      body.bars.forEach((bar: number[], i: number) => {
        expect(bar.slice(0, 5)).toEqual(expected[i].slice(0, 5));
        expect(bar[5]).toBeCloseTo(expected[i][5], 6);
      });
      expect(body.source).toBe('candles:1m');
    }
  });

  it('imports freqtrade trades and builds candles of any timeframe from them', async () => {
    const summary = await importFile({ exchange, symbol: 'XRP/ETH' }, 'XRP_ETH-trades.json', xrpJson);
    expect(summary).toMatchObject({ status: 'completed', kind: 'trades', format: 'json-trades', inserted: 12_477 });
    const trades = await get(a, `/api/v1/market/trades?exchange=${exchange}&symbol=XRP/ETH&from=0&limit=3`);
    // Prices and amounts come back as the same decimals the file gave, trailing zeros dropped ("23.0" is "23").
    expect(trades.json().trades).toEqual(
      xrpRows.slice(0, 3).map((r) => [r[0], r[1], r[3] === 'buy' ? 1 : -1, String(r[4]), String(r[5])]),
    );
    const res = await get(
      a,
      `/api/v1/market/candles?exchange=${exchange}&symbol=XRP/ETH&timeframe=1h&from=0&limit=5000`,
    );
    expect(res.json().source).toBe('trades');
    const expected = aggregate(
      xrpRows.map((r) => [r[0], r[4], r[4], r[4], r[4], r[5]]),
      3_600_000,
    );
    expect(res.json().bars.map((b: number[]) => b.slice(0, 5))).toEqual(expected.map((b) => b.slice(0, 5)));
    const cov = (await get(a, `/api/v1/market/coverage?exchange=${exchange}&symbol=XRP/ETH`)).json();
    expect(cov.trades).toEqual({ first: '2019-10-11T00:00:11.620Z', last: '2019-10-13T11:19:28.844Z', count: 12_477 });
    expect(cov.candles).toBeNull();
  });

  it('imports the CSV layouts: trades with a header, candles with a header, Binance klines', async () => {
    const eth = await importFile(
      { exchange, symbol: 'ETH/USDT' },
      'ETH_USDT-trades-2023.csv',
      readFileSync(fixturePath('ETH_USDT-trades-2023.csv')),
    );
    expect(eth).toMatchObject({ format: 'csv-trades', inserted: 1_000, rejected: 0 });
    const eur = await importFile(
      { exchange, symbol: 'EUR/USD' },
      'EURUSD-1h.csv',
      readFileSync(fixturePath('EURUSD-1h.csv')),
    );
    expect(eur).toMatchObject({ format: 'csv-candles', timeframe: '1h', inserted: 5_000, rejected: 0 });
    const kline = btcRows
      .slice(0, 100)
      .map(([t, o, h, l, c, v]) => [t, o, h, l, c, v, t + 59_999, 1, 10, 0.5, 0.5, 0].join(','))
      .join('\n');
    const binance = await importFile({ exchange, symbol: 'KLINE/USDT' }, 'KLINE-1m-2017-11.csv', kline);
    expect(binance).toMatchObject({ format: 'binance-klines', timeframe: '1m', inserted: 100, rejected: 0 });
  });

  it('rejects bad rows with their line numbers and imports the rest', async () => {
    const lines = [
      'timestamp,open,high,low,close,volume',
      '2024-01-01T00:00:00Z,10,11,9,10.5,100',
      '2024-01-01T00:01:00Z,10,9,11,10,100', // high < low
      '2024-01-01T00:02:00Z,-1,11,9,10,100', // negative price
      '2024-01-01T00:03:00Z,10,11,9,abc,100', // unparsable
      '2023-12-31T23:59:00Z,10,11,9,10,100', // not after the previous row
      'yesterday,10,11,9,10,100', // no time
      '2024-01-01T00:05:00Z,10.25,11,9,10,100',
    ];
    const summary = await importFile({ exchange, symbol: 'BAD/USD', timeframe: '1m' }, 'bad.csv', lines.join('\n'));
    expect(summary).toMatchObject({
      status: 'completed',
      rowsRead: 7,
      inserted: 2,
      rejected: 5,
      gaps: 1,
      missingBars: 4,
    });
    expect(summary.rejections.map((r: { line: number }) => r.line)).toEqual([3, 4, 5, 6, 7]);
    expect(summary.rejections[0].reason).toMatch(/high 9 is below low 11/);
    expect(summary.rejections[1].reason).toMatch(/positive/);
    expect(summary.rejections[2].reason).toMatch(/close "abc" is not a number/);
    expect(summary.rejections[3].reason).toMatch(/before the previous row/);
    expect(summary.rejections[4].reason).toMatch(/cannot read the time/);
    const [{ id: badId }]: Array<{ id: string }> = await a.app
      .get(DataSource)
      .query(`SELECT id FROM market_instruments WHERE exchange = $1 AND symbol = 'BAD/USD'`, [exchange]);
    const rows = (await a.app.get(MarketStore).candleRows(badId, { from: 0, to: 8.64e15 }, 60_000)).map((r) => ({
      open: r[1],
    }));
    // Prices are stored with the file's own digits.
    expect(rows.map((r: { open: string }) => r.open)).toEqual(['10', '10.25']);
  });

  it('answers bad uploads and reads with problem details and stores nothing', async () => {
    const before = (await a.inject({ url: '/api/v1/market/imports?limit=100', headers: bearer(adminToken) })).json()
      .items.length;
    expectProblem(
      await upload({ exchange, symbol: 'BTC/ETH' }, 'x.csv', 'a,b\n1,2\n', adminToken),
      400,
      'MARKET_IMPORT_UNREADABLE',
    );
    expectProblem(await upload({ exchange, symbol: 'BTCETH' }, 'x.json', btcJson), 400, 'MARKET_INVALID_REQUEST');
    expectProblem(
      await upload({ exchange, symbol: 'BTC/ETH', timeframe: '5m' }, 'x.json', btcJson),
      409,
      'MARKET_TIMEFRAME_CONFLICT',
    );
    expectProblem(
      await upload({ exchange, symbol: 'BIG/ETH' }, 'big.json', Buffer.concat([btcJson, btcJson, btcJson])),
      413,
      'MARKET_IMPORT_TOO_LARGE',
    );
    expectProblem(
      await upload({ exchange, symbol: 'BTC/ETH' }, 'x.json', btcJson, userToken),
      403,
      'INSUFFICIENT_ROLE',
    );
    const after = (await a.inject({ url: '/api/v1/market/imports?limit=100', headers: bearer(adminToken) })).json()
      .items.length;
    expect(after).toBe(before);

    expectProblem(
      await get(a, `/api/v1/market/candles?exchange=${exchange}&symbol=NOPE/USD&timeframe=1m`),
      404,
      'MARKET_INSTRUMENT_NOT_FOUND',
    );
    expectProblem(
      await get(a, `/api/v1/market/candles?exchange=${exchange}&symbol=BTC/ETH&timeframe=1x`),
      400,
      'VALIDATION_FAILED',
    );
    expectProblem(
      await get(a, `/api/v1/market/candles?exchange=${exchange}&symbol=BTC/ETH&timeframe=1m&from=2000&to=1000`),
      400,
      'MARKET_INVALID_REQUEST',
    );
    expectProblem(
      await get(a, `/api/v1/market/candles?exchange=${exchange}&symbol=BTC/ETH&timeframe=1m&from=soon`),
      400,
      'VALIDATION_FAILED',
    );
    expectProblem(
      await get(a, `/api/v1/market/candles?exchange=${exchange}&symbol=EUR/USD&timeframe=1m`),
      422,
      'MARKET_TIMEFRAME_UNAVAILABLE',
    );
  });

  it('serves cached reads with ETags and never an answer older than the latest import, on any instance', async () => {
    const url = `/api/v1/market/candles?exchange=${exchange}&symbol=KLINE/USDT&timeframe=5m`;
    const first = await get(b, url);
    expect(first.statusCode).toBe(200);
    expect(first.headers['cache-control']).toBe('private, no-cache');
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^".+"$/);
    const again = await get(b, url);
    expect(again.body).toBe(first.body);
    expect((await get(b, url, { 'if-none-match': etag })).statusCode).toBe(304);
    // The other instance finds it in Redis (level 2).
    expect((await get(a, url)).body).toBe(first.body);
    const metrics = (await b.inject('/metrics')).body;
    expect(metrics).toMatch(/market_cache_requests_total\{level="l1",result="hit"\} [1-9]/);
    expect(metrics).toMatch(/market_cache_requests_total\{level="l2",result="hit"\} [1-9]/);

    // New bars through instance A: instance B answers with them at once.
    const more = btcRows
      .slice(100, 160)
      .map(([t, o, h, l, c, v]) => [t, o, h, l, c, v, t + 59_999, 1, 10, 0.5, 0.5, 0].join(','))
      .join('\n');
    expect(await importFile({ exchange, symbol: 'KLINE/USDT' }, 'more.csv', more)).toMatchObject({ inserted: 60 });
    const fresh = await get(b, url, { 'if-none-match': etag });
    expect(fresh.statusCode).toBe(200);
    expect(fresh.headers.etag).not.toBe(etag);
    const bars = fresh.json().bars as number[][];
    expect(bars[bars.length - 1]).toEqual(aggregate(btcRows.slice(0, 160), 300_000).at(-1));
  });

  it('gives a ticker over the last 24 hours of stored data and lists instruments', async () => {
    const res = await get(a, `/api/v1/market/ticker?exchange=${exchange}&symbol=BTC/ETH`);
    expect(res.statusCode).toBe(200);
    const t = res.json();
    const last = btcRows[btcRows.length - 1];
    const window = btcRows.filter((r) => r[0] >= last[0] + 60_000 - 86_400_000);
    expect(t.last).toBe(last[4]);
    expect(t.open24h).toBe(window[0][1]);
    expect(t.high24h).toBe(Math.max(...window.map((r) => r[2])));
    expect(t.low24h).toBe(Math.min(...window.map((r) => r[3])));
    const list = (await get(a, `/api/v1/market/instruments?exchange=${exchange}`)).json().items;
    expect(list.map((i: { symbol: string }) => i.symbol)).toEqual(
      expect.arrayContaining(['BTC/ETH', 'XRP/ETH', 'ETH/USDT', 'EUR/USD', 'KLINE/USDT']),
    );
    expect(list.find((i: { symbol: string }) => i.symbol === 'BTC/ETH')).toMatchObject({
      storedTimeframe: '1m',
      hasTrades: false,
      pricePrecision: 8,
    });
  });
});
