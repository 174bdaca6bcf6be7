import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseTime } from '@app/engine';
import { readCandles, readTrades } from './market-files';
import { fixturePath } from '@app/testing';

describe('parseTime', () => {
  it.each([
    ['2017-04-19 09:00:00', Date.UTC(2017, 3, 19, 9)],
    ['2004-08-19', Date.UTC(2004, 7, 19)],
    ['2023-02-02 09:20:00.138000+00:00', Date.UTC(2023, 1, 2, 9, 20, 0, 138)],
    ['2023-02-02T11:20:00+02:00', Date.UTC(2023, 1, 2, 9, 20)],
    ['2023-02-02T09:20:00Z', Date.UTC(2023, 1, 2, 9, 20)],
    ['1675329600138', 1675329600138],
    ['1675329600', 1675329600000],
    [1509836520000, 1509836520000],
  ])('reads %j', (cell, expected) => {
    expect(parseTime(cell)).toBe(expected);
  });

  it('gives NaN for text that is no time', () => {
    expect(parseTime('yesterday')).toBeNaN();
  });
});

describe('readCandles', () => {
  it('reads a JSON array and infers the timeframe', () => {
    const c = readCandles(fixturePath('UNITTEST_BTC-1m.json'));
    expect(c.time.length).toBe(13_681);
    expect(c.timeframeMs).toBe(60_000);
    expect([c.time[0], c.open[0], c.volume[0]]).toEqual([1509836520000, 0.00162008, 108.14853839]);
  });

  it('reads a CSV whose unnamed first column is the time', () => {
    const c = readCandles(fixturePath('EURUSD-1h.csv'));
    expect(c.timeframeMs).toBe(3_600_000);
    expect([c.time[0], c.open[0], c.high[0], c.low[0], c.close[0], c.volume[0]]).toEqual([
      Date.UTC(2017, 3, 19, 9),
      1.0716,
      1.0722,
      1.07083,
      1.07219,
      1413,
    ]);
  });

  it('finds named columns in any letter case and order, volume optional', () => {
    const dir = mkdtempSync(join(tmpdir(), 'candles-'));
    const path = join(dir, 'c.csv');
    writeFileSync(path, 'Close;LOW;Timestamp;High;Open\n2;1;1600000000;3;1.5\n2.5;2;1600000060;3;2\n');
    const c = readCandles(path);
    expect(Array.from(c.time)).toEqual([1600000000000, 1600000060000]);
    expect(Array.from(c.open)).toEqual([1.5, 2]);
    expect(Array.from(c.close)).toEqual([2, 2.5]);
    expect(Array.from(c.volume)).toEqual([0, 0]);
  });
});

describe('readTrades', () => {
  it('reads the freqtrade JSON layout', () => {
    const t = readTrades(fixturePath('XRP_ETH-trades.json'));
    expect(t.time.length).toBe(12_477);
    expect([t.time[0], t.price[0], t.amount[0], t.side[0], t.side[3]]).toEqual([1570752011620, 0.00141342, 23, -1, 1]);
  });

  it('reads a CSV by column names, preferring the epoch timestamp', () => {
    const t = readTrades(fixturePath('ETH_USDT-trades-2023.csv'));
    expect(t.time.length).toBe(1000);
    expect([t.time[0], t.price[0], t.amount[0], t.side[0], t.side[1]]).toEqual([1675329600138, 1666.8, 26.062, 1, -1]);
  });
});
