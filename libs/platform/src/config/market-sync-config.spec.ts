import { configProblems } from '@app/testing';
import { loadConfig } from './app-config';

const problemsOf = configProblems;

describe('MARKET_SYNC', () => {
  it('is empty by default', () => {
    expect(loadConfig({}).env.MARKET_SYNC).toEqual([]);
  });

  it('reads exchange:BASE/QUOTE:timeframe entries, with :trades for trade prints', () => {
    const env = loadConfig({ MARKET_SYNC: ' Binance:btc/usdt:1m:trades , kraken:ETH/EUR:1h,' }).env;
    expect(env.MARKET_SYNC).toEqual([
      { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1m', trades: true },
      { exchange: 'kraken', symbol: 'ETH/EUR', timeframe: '1h', trades: false },
    ]);
  });

  it.each([
    ['binance:BTCUSDT:1m', 'MARKET_SYNC entry "binance:BTCUSDT:1m": "BTCUSDT" is not a symbol in BASE/QUOTE form'],
    ['binance:BTC/USDT', 'MARKET_SYNC entry "binance:BTC/USDT": expected exchange:BASE/QUOTE:timeframe[:trades]'],
    ['binance:BTC/USDT:1M', 'MARKET_SYNC entry "binance:BTC/USDT:1M": "1M" is not a timeframe from 1s to 1w'],
    ['binance:BTC/USDT:2w', 'MARKET_SYNC entry "binance:BTC/USDT:2w": "2w" is not a timeframe from 1s to 1w'],
    ['binance:BTC/USDT:1m:book', 'MARKET_SYNC entry "binance:BTC/USDT:1m:book": unknown option "book" (only "trades")'],
    ['bin ance:BTC/USDT:1m', 'MARKET_SYNC entry "bin ance:BTC/USDT:1m": "bin ance" is not an exchange id'],
  ])('rejects %j naming the variable and the entry', (value, message) => {
    const problems = problemsOf({ MARKET_SYNC: value });
    expect(problems).toHaveLength(1);
    expect(problems[0].startsWith(message)).toBe(true);
  });

  it('reports every bad entry and keeps the good ones out of the way', () => {
    expect(problemsOf({ MARKET_SYNC: 'binance:BTC/USDT:1m,x:y:z,binance:ETH:1h' })).toEqual([
      expect.stringContaining('"x:y:z"'),
      expect.stringContaining('"binance:ETH:1h"'),
    ]);
  });

  it('refuses a market listed twice (one instrument stores one candle timeframe)', () => {
    expect(problemsOf({ MARKET_SYNC: 'binance:BTC/USDT:1m,binance:btc/usdt:1h' })).toEqual([
      'MARKET_SYNC entry "binance:btc/usdt:1h": BTC/USDT on binance is listed twice',
    ]);
  });
});

describe('MARKET_SYNC_EXCHANGE_URLS', () => {
  it('maps exchange ids to REST origins', () => {
    const env = loadConfig({
      MARKET_SYNC_EXCHANGE_URLS: 'binance=http://127.0.0.1:9000/, Kraken=https://proxy.test/kraken',
    }).env;
    expect(env.MARKET_SYNC_EXCHANGE_URLS).toEqual({
      binance: 'http://127.0.0.1:9000',
      kraken: 'https://proxy.test/kraken',
    });
  });

  it.each(['binance', 'binance=ftp://x', '=http://x', 'binance=not a url'])('rejects %j', (value) => {
    expect(problemsOf({ MARKET_SYNC_EXCHANGE_URLS: value })[0]).toMatch(
      /^MARKET_SYNC_EXCHANGE_URLS entry ".*" must look like exchange=http:\/\/host:port$/,
    );
  });

  it('never prints a password of a rejected entry', () => {
    expect(problemsOf({ MARKET_SYNC_EXCHANGE_URLS: 'binance=ftp://user:hunter2@x' }).join()).not.toContain('hunter2');
  });
});

describe('MARKET_SYNC_START and MARKET_SYNC_EVERY_MS', () => {
  it('reads an ISO date as epoch milliseconds (UTC for a date alone)', () => {
    expect(loadConfig({ MARKET_SYNC_START: '2024-01-02' }).env.MARKET_SYNC_START).toBe(Date.UTC(2024, 0, 2));
    expect(loadConfig({ MARKET_SYNC_START: '2024-01-02T03:04:05+01:00' }).env.MARKET_SYNC_START).toBe(
      Date.UTC(2024, 0, 2, 2, 4, 5),
    );
    expect(loadConfig({}).env.MARKET_SYNC_START).toBeUndefined();
  });

  it.each(['yesterday', '2024-13-01', '2024-01-02T03:04:05'])('rejects the start %j', (value) => {
    expect(problemsOf({ MARKET_SYNC_START: value })).toEqual([
      `MARKET_SYNC_START must be an ISO date (2024-01-01 or 2024-01-01T00:00:00Z), got "${value}"`,
    ]);
  });

  it('defaults the interval to a minute and bounds it', () => {
    expect(loadConfig({}).env.MARKET_SYNC_EVERY_MS).toBe(60_000);
    expect(problemsOf({ MARKET_SYNC_EVERY_MS: '10' })).toEqual([
      'MARKET_SYNC_EVERY_MS must be an integer 1000-86400000, got "10"',
    ]);
  });
});
