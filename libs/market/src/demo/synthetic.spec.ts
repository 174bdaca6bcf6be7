import { candlesFromTrades } from '@app/engine';
import {
  DAY_MS,
  MINUTE_MS,
  REGIMES,
  SeededRandom,
  SyntheticMarket,
  SyntheticSymbolSpec,
  TRADE_WINDOW_MINUTES,
  YEAR_MINUTES,
  candleRows,
  deriveSeed,
  formatUnits,
  generateSyntheticMarket,
  syntheticCandleSeries,
  syntheticTradeSeries,
  tradeRows,
} from './synthetic';

const BTC: SyntheticSymbolSpec = {
  startPrice: 42_000,
  annualDrift: 0.3,
  annualVolatility: 0.55,
  priceDecimals: 2,
  amountDecimals: 5,
  tradesPerMinute: 30,
  meanTradeSize: 0.05,
};
const END = Date.UTC(2025, 0, 1);

describe('generateSyntheticMarket', () => {
  let year: SyntheticMarket;
  beforeAll(() => {
    year = generateSyntheticMarket(BTC, { seed: 42, end: END });
  });

  it('gives one year of contiguous 1m bars ending one minute before the end', () => {
    expect(year.time).toHaveLength(YEAR_MINUTES);
    expect(year.start).toBe(END - YEAR_MINUTES * MINUTE_MS);
    expect(year.time[0]).toBe(year.start);
    expect(year.time[YEAR_MINUTES - 1]).toBe(END - MINUTE_MS);
    let spaced = true;
    for (let i = 1; i < YEAR_MINUTES; i++) spaced &&= year.time[i] - year.time[i - 1] === MINUTE_MS;
    expect(spaced).toBe(true);
    expect(year.tradeFrom).toBe(YEAR_MINUTES - TRADE_WINDOW_MINUTES);
  });

  it('is deterministic: the same seed gives the same bytes, another seed other data', () => {
    const again = generateSyntheticMarket(BTC, { seed: 42, end: END });
    for (const key of ['time', 'open', 'high', 'low', 'close', 'volume', 'regime'] as const) {
      expect(Buffer.from(again[key].buffer).equals(Buffer.from(year[key].buffer))).toBe(true);
    }
    for (const key of ['time', 'price', 'amount', 'side'] as const) {
      expect(Buffer.from(again.trades[key].buffer).equals(Buffer.from(year.trades[key].buffer))).toBe(true);
    }
    const other = generateSyntheticMarket(BTC, { seed: 43, end: END, minutes: 1_000, tradeMinutes: 10 });
    expect(Array.from(other.close.subarray(0, 100))).not.toEqual(Array.from(year.close.subarray(0, 100)));
  });

  it('produces valid bars: positive whole ticks, low ≤ open, close ≤ high, volume ≥ 0', () => {
    const bad: number[] = [];
    for (let i = 0; i < YEAR_MINUTES && bad.length < 5; i++) {
      const [o, h, l, c, v] = [year.open[i], year.high[i], year.low[i], year.close[i], year.volume[i]];
      const whole = [o, h, l, c, v].every(Number.isSafeInteger);
      if (!whole || l < 1 || l > Math.min(o, c) || h < Math.max(o, c) || v < 0) bad.push(i);
    }
    expect(bad).toEqual([]);
    // Before the trade window each bar opens at the previous close.
    let continuous = true;
    for (let i = 1; i < year.tradeFrom; i++) continuous &&= year.open[i] === year.close[i - 1];
    expect(continuous).toBe(true);
  });

  it('writes prices and amounts as exact decimals of the tick and lot size', () => {
    const [row] = candleRows(year, 0, 1);
    expect(row[0]).toBe(year.start);
    expect(row.slice(1, 5).every((p) => /^\d+\.\d{2}$/.test(String(p)))).toBe(true);
    expect(String(row[5])).toMatch(/^\d+\.\d{5}$/);
    expect(Math.round(Number(row[4]) * 100)).toBe(year.close[0]);
    const trades = tradeRows(year, 0, 3);
    expect(trades.map((t) => t.id)).toEqual(['0000000000', '0000000001', '0000000002']);
    expect(String(trades[0].amount)).toMatch(/^\d+\.\d{5}$/);
  });

  it('switches between volatility regimes whose realised volatility differs', () => {
    const sums = [0, 0, 0];
    const squares = [0, 0, 0];
    const counts = [0, 0, 0];
    for (let i = 1; i < year.tradeFrom; i++) {
      const r = Math.log(year.close[i] / year.close[i - 1]);
      const k = year.regime[i];
      sums[k] += r;
      squares[k] += r * r;
      counts[k]++;
    }
    const vol = counts.map((n, k) => Math.sqrt(squares[k] / n - (sums[k] / n) ** 2));
    // Every regime occurs for at least a few days of the year.
    for (const n of counts) expect(n).toBeGreaterThan(3 * 1_440);
    const [calm, normal, turbulent] = vol;
    expect(normal / calm).toBeGreaterThan(1.6);
    expect(turbulent / normal).toBeGreaterThan(1.8);
    expect(REGIMES).toEqual(['calm', 'normal', 'turbulent']);
  });

  it('shares the regimes of symbols given the same regime seed, not their prices', () => {
    const options = { end: END, minutes: 20_000, tradeMinutes: 0, regimeSeed: 99 };
    const a = generateSyntheticMarket(BTC, { ...options, seed: 1 });
    const b = generateSyntheticMarket({ ...BTC, startPrice: 95, priceDecimals: 3 }, { ...options, seed: 2 });
    expect(a.regime).toEqual(b.regime);
    expect(new Set(a.regime).size).toBeGreaterThan(1);
    expect(Math.log(a.close[19_999] / a.open[0])).not.toBeCloseTo(Math.log(b.close[19_999] / b.open[0]), 3);
  });

  it('trades more in the afternoon (UTC) than at night, and less on weekends', () => {
    const mean = (pick: (t: number) => boolean) => {
      let sum = 0;
      let n = 0;
      for (let i = 0; i < YEAR_MINUTES; i++) {
        if (!pick(year.time[i])) continue;
        sum += year.volume[i];
        n++;
      }
      return sum / n;
    };
    const hour = (t: number) => Math.floor((t % DAY_MS) / 3_600_000);
    const weekday = (t: number) => (Math.floor(t / DAY_MS) + 4) % 7;
    expect(mean((t) => hour(t) >= 14 && hour(t) < 16)).toBeGreaterThan(1.5 * mean((t) => hour(t) >= 2 && hour(t) < 4));
    expect(mean((t) => weekday(t) === 0 || weekday(t) === 6)).toBeLessThan(0.85 * mean((t) => weekday(t) === 3));
  });

  it('makes the bars of the trade window exactly the aggregate of their trades', () => {
    const { trades, tradeFrom } = year;
    const windowStart = year.time[tradeFrom];
    expect(trades.time[0]).toBeGreaterThanOrEqual(windowStart);
    expect(trades.time[trades.time.length - 1]).toBeLessThan(END);
    // Integer ticks and lots: exact, volume included.
    let k = 0;
    const mismatches: number[] = [];
    for (let i = tradeFrom; i < YEAR_MINUTES; i++) {
      const first = k;
      let [h, l, v] = [0, Infinity, 0];
      while (k < trades.time.length && trades.time[k] < year.time[i] + MINUTE_MS) {
        if (trades.time[k] < year.time[i] || (k > 0 && trades.time[k] < trades.time[k - 1])) mismatches.push(i);
        h = Math.max(h, trades.price[k]);
        l = Math.min(l, trades.price[k]);
        v += trades.amount[k];
        k++;
      }
      const same =
        k > first &&
        year.open[i] === trades.price[first] &&
        year.close[i] === trades.price[k - 1] &&
        year.high[i] === h &&
        year.low[i] === l &&
        year.volume[i] === v;
      if (!same) mismatches.push(i);
    }
    expect(mismatches).toEqual([]);
    expect(k).toBe(trades.time.length);

    // And through the engine, as a tick backtest would see them.
    const fromTrades = candlesFromTrades(syntheticTradeSeries(year), MINUTE_MS);
    const bars = syntheticCandleSeries(year);
    expect(fromTrades.time).toEqual(bars.time.subarray(tradeFrom));
    for (const key of ['open', 'high', 'low', 'close'] as const)
      expect(fromTrades[key]).toEqual(bars[key].subarray(tradeFrom));
    const lot = 10 ** year.amountDecimals;
    fromTrades.volume.forEach((v, i) => expect(Math.round(v * lot)).toBe(year.volume[tradeFrom + i]));
  });

  it('keeps the price path continuous into the trade window', () => {
    const before = year.close[year.tradeFrom - 1];
    const jump = Math.abs(Math.log(year.open[year.tradeFrom] / before));
    expect(jump).toBeLessThan(0.01);
  });

  it('rejects an end that is not a whole minute and a bad spec', () => {
    expect(() => generateSyntheticMarket(BTC, { seed: 1, end: END + 1 })).toThrow(/whole minute/);
    expect(() => generateSyntheticMarket({ ...BTC, startPrice: 0 }, { seed: 1, end: END })).toThrow(/startPrice/);
    expect(() => generateSyntheticMarket(BTC, { seed: 1, end: END, minutes: 10, tradeMinutes: 11 })).toThrow(
      /tradeMinutes/,
    );
  });
});

describe('SeededRandom', () => {
  it('repeats its sequence for a seed and gives uniform values in [0, 1)', () => {
    const a = new SeededRandom(7);
    const b = new SeededRandom(7);
    const xs = Array.from({ length: 10_000 }, () => a.next());
    expect(Array.from({ length: 10_000 }, () => b.next())).toEqual(xs);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(xs.reduce((s, x) => s + x, 0) / xs.length).toBeCloseTo(0.5, 1);
  });

  it('draws normals with mean 0 and variance 1', () => {
    const rng = new SeededRandom(11);
    const zs = Array.from({ length: 50_000 }, () => rng.normal());
    const mean = zs.reduce((s, z) => s + z, 0) / zs.length;
    const variance = zs.reduce((s, z) => s + (z - mean) ** 2, 0) / zs.length;
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(Math.abs(variance - 1)).toBeLessThan(0.03);
  });

  it('derives distinct, stable seeds per label', () => {
    expect(deriveSeed(1, 'BTC/USD')).toBe(deriveSeed(1, 'BTC/USD'));
    expect(deriveSeed(1, 'BTC/USD')).not.toBe(deriveSeed(1, 'ETH/USD'));
    expect(deriveSeed(1, 'BTC/USD')).not.toBe(deriveSeed(2, 'BTC/USD'));
  });
});

describe('formatUnits', () => {
  it.each([
    [123, 2, '1.23'],
    [5, 3, '0.005'],
    [4_200_000, 2, '42000.00'],
    [7, 0, '7'],
    [0, 2, '0.00'],
  ])('formats %d units of 10^-%d as %s', (units, decimals, text) => {
    expect(formatUnits(units, decimals)).toBe(text);
  });
});
