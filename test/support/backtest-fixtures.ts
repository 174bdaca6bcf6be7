import { readFileSync } from 'node:fs';
import { DataSource } from 'typeorm';
import { InstrumentRepository, MarketIngest } from '@app/market';
import { candleRows, generateSyntheticMarket } from '@app/market/demo/synthetic';
import { fixturePath } from '@app/testing';
import { login, register, Session, uniqueEmail } from '../auth/auth-helpers';
import type { TestApi } from './test-app';

/** Registers a user, sets its tier in the database (as an admin would) and logs in for a token carrying it. */
export async function userWithTier(api: TestApi, tier: 'basic' | 'pro' | 'elite'): Promise<Session> {
  const email = uniqueEmail(tier);
  const { user } = await register(api, email);
  await api.app.get(DataSource).query(`UPDATE users SET tier = $2 WHERE id = $1`, [user.id, tier]);
  return login(api, email);
}

/** The real XRP/ETH prints of test/fixtures (2019-10-11 00:00 to 10-13 11:19 UTC), stored as trades only. */
export async function storeXrpTrades(
  api: TestApi,
  exchange: string,
): Promise<{ first: number; last: number; count: number }> {
  const rows: Array<[number, string, null, string, number, number, number]> = JSON.parse(
    readFileSync(fixturePath('XRP_ETH-trades.json'), 'utf8'),
  );
  const instrument = await api.app
    .get(InstrumentRepository)
    .ensure({ exchange, symbol: 'XRP/ETH', base: 'XRP', quote: 'ETH' });
  await api.app.get(MarketIngest).storeTrades(
    instrument,
    rows.map(([time, id, , side, price, amount]) => ({ id, time, side: side === 'buy' ? 1 : -1, price, amount })),
  );
  return { first: rows[0][0], last: rows[rows.length - 1][0], count: rows.length };
}

/** The first `count` real 1m candles of test/fixtures/UNITTEST_BTC-1m.json (with their gaps); returns the rows. */
export async function storeBtcCandles(
  api: TestApi,
  exchange: string,
  symbol: string,
  count: number,
): Promise<number[][]> {
  const rows: number[][] = JSON.parse(readFileSync(fixturePath('UNITTEST_BTC-1m.json'), 'utf8'));
  const [base, quote] = symbol.split('/');
  const instrument = await api.app.get(InstrumentRepository).ensure({ exchange, symbol, base, quote });
  await api.app.get(MarketIngest).storeCandles(
    instrument,
    60_000,
    rows.slice(0, count).map((r) => [r[0], r[1], r[2], r[3], r[4], r[5]] as const),
  );
  return rows.slice(0, count);
}

/** `minutes` synthetic 1m candles ending at `end` (whole minute): a series long enough for slow runs. */
export async function storeSyntheticCandles(
  api: TestApi,
  exchange: string,
  symbol: string,
  minutes: number,
  end = Date.UTC(2024, 0, 1),
): Promise<{ from: number; to: number }> {
  const market = generateSyntheticMarket(
    {
      startPrice: 100,
      annualDrift: 0.2,
      annualVolatility: 0.6,
      priceDecimals: 2,
      amountDecimals: 3,
      tradesPerMinute: 1,
      meanTradeSize: 0.5,
    },
    { seed: 7, end, minutes, tradeMinutes: 0 },
  );
  const [base, quote] = symbol.split('/');
  const instrument = await api.app.get(InstrumentRepository).ensure({ exchange, symbol, base, quote });
  await api.app.get(MarketIngest).storeCandles(instrument, 60_000, candleRows(market, 0, minutes));
  return { from: market.start, to: market.end };
}

/** An SMA cross with stop-loss and take-profit: trades often, and has bars where both levels lie in range. */
export const SMA_CROSS = {
  version: 1,
  indicators: { fast: { type: 'sma', period: 5 }, slow: { type: 'sma', period: 20 } },
  entry: { long: { crossAbove: ['fast', 'slow'] } },
  exit: { long: { crossBelow: ['fast', 'slow'] } },
  risk: { stopLossPct: 0.6, takeProfitPct: 0.8 },
  sizing: { type: 'equityFraction', fraction: 1 },
};

export async function createStrategy(api: TestApi, token: string, definition: object = SMA_CROSS): Promise<string> {
  const res = await api.inject({
    method: 'POST',
    url: '/api/v1/strategies',
    headers: { authorization: `Bearer ${token}` },
    payload: { name: 'sma cross', definition },
  });
  if (res.statusCode !== 201) throw new Error(`create strategy answered ${res.statusCode}: ${res.body}`);
  return res.json().id;
}

/** Polls GET /:id until the backtest ends. */
export async function waitForBacktest(api: TestApi, token: string, id: string, timeoutMs = 30_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await api.inject({
      url: `/api/v1/tiered-backtests/${id}`,
      headers: { authorization: `Bearer ${token}` },
    });
    const body = res.json();
    if (['completed', 'failed', 'cancelled'].includes(body.status)) return body;
    if (Date.now() > deadline) throw new Error(`backtest ${id} still ${body.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
