import type { CandleSeries, TradeSeries } from '@app/engine';
import type { CandleRow, TradeRow } from '../store/market-ingest.service';

/**
 * Synthetic market data for the demo exchange: a geometric random walk of 1m bars whose
 * volatility switches between regimes, with intraday and weekend seasonality of volatility and
 * volume, and trade prints for the last days that are exactly consistent with the bars.
 *
 * Pure and deterministic: the same spec, seed and end time give the same bytes. No clock and no
 * `Math.random`; randomness comes from a seeded xoshiro128** generator.
 *
 * Prices are kept as integer ticks and amounts as integer lots (Float64Arrays holding whole
 * numbers), so that the decimal strings handed to the store are exact and a bar's volume is
 * exactly the sum of its trades' amounts.
 */

// Hot loops call these millions of times: local bindings skip a global lookup per call, which
// inside a vm context (as under Jest) costs more than the arithmetic itself.
const { abs, cos, exp, floor, imul, log, max, min, PI, round, sin, sqrt } = Math;
const INFINITY = Infinity;
const { isSafeInteger } = Number;

export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;
/** One (non-leap) year of 1m bars. */
export const YEAR_MINUTES = 525_600;
/** The trade window: the last three days. */
export const TRADE_WINDOW_MINUTES = 3 * 1_440;
/** Recorded with seeded data; bump when the model changes, since stored data would differ. */
export const SYNTHETIC_GENERATOR = 'synthetic-v1';

export const REGIMES = ['calm', 'normal', 'turbulent'] as const;
export type Regime = (typeof REGIMES)[number];

/** Volatility and activity (trade rate, volume) of each regime relative to `normal`. */
const REGIME_VOL = [0.5, 1, 2.4];
const REGIME_ACTIVITY = [0.6, 1, 2.5];
/** Per-minute probability of leaving each regime: mean stays of 4 days, 6 days and 1 day. */
const REGIME_LEAVE = [1 / (4 * 1_440), 1 / (6 * 1_440), 1 / 1_440];
/** Where a regime goes when it leaves: [first choice, its probability, second choice]. */
const REGIME_NEXT: ReadonlyArray<readonly [number, number, number]> = [
  [1, 0.85, 2],
  [0, 0.55, 2],
  [1, 0.8, 0],
];

export interface SyntheticSymbolSpec {
  /** Price at the start of the year. */
  startPrice: number;
  /** Expected log growth per year (0.3 = about +35 %). */
  annualDrift: number;
  /** Annualised volatility of the `normal` regime at an average hour (about the long-run volatility). */
  annualVolatility: number;
  /** Decimals of the price: the tick size is 10^-priceDecimals. */
  priceDecimals: number;
  /** Decimals of amounts: the lot size is 10^-amountDecimals. */
  amountDecimals: number;
  /** Mean trade prints per minute in the `normal` regime at an average hour (at least 1). */
  tradesPerMinute: number;
  /** Mean size of one print, in base units. */
  meanTradeSize: number;
}

export interface SyntheticOptions {
  seed: number;
  /**
   * Seed of the regime chain; symbols given the same one share their calm and turbulent spells,
   * as crypto markets do. Derived from `seed` when absent.
   */
  regimeSeed?: number;
  /** Exclusive end (epoch ms, a whole minute): the last bar opens one minute before it. */
  end: number;
  /** Number of 1m bars; a year by default. */
  minutes?: number;
  /** Number of final bars built from trade prints; three days by default. */
  tradeMinutes?: number;
}

export interface SyntheticTrades {
  readonly time: Float64Array;
  /** Integer ticks. */
  readonly price: Float64Array;
  /** Integer lots. */
  readonly amount: Float64Array;
  /** Taker side: 1 buy, -1 sell. */
  readonly side: Int8Array;
}

/** 1m bars with prices in integer ticks and volume in integer lots, and the trades of the window. */
export interface SyntheticMarket {
  readonly start: number;
  readonly end: number;
  readonly priceDecimals: number;
  readonly amountDecimals: number;
  readonly time: Float64Array;
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
  readonly volume: Float64Array;
  /** Index into REGIMES per bar. */
  readonly regime: Uint8Array;
  /** Index of the first bar built from trades; bars from here on are exactly their trades' OHLCV. */
  readonly tradeFrom: number;
  readonly trades: SyntheticTrades;
}

/** xoshiro128** (Blackman & Vigna), seeded through splitmix32. */
export class SeededRandom {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spare = 0;
  private hasSpare = false;

  constructor(seed: number) {
    let x = seed >>> 0;
    const splitmix = () => {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = imul(z ^ (z >>> 16), 0x85ebca6b);
      z = imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = splitmix();
    this.s1 = splitmix();
    this.s2 = splitmix();
    this.s3 = splitmix();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** A uniform 32-bit unsigned integer. */
  nextU32(): number {
    const s1 = this.s1;
    const result = imul(rotl(imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextU32() / 4_294_967_296;
  }

  /** Uniform in (0, 1]: safe under a logarithm. */
  nextOpen(): number {
    return (this.nextU32() + 1) / 4_294_967_296;
  }

  /** Standard normal (Box–Muller, both values used). */
  normal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    const r = sqrt(-2 * log(this.nextOpen()));
    const theta = 2 * PI * this.next();
    this.spare = r * sin(theta);
    this.hasSpare = true;
    return r * cos(theta);
  }

  /** Poisson-distributed count (inversion for small means, a rounded normal for large ones). */
  poisson(mean: number): number {
    if (mean <= 0) return 0;
    if (mean > 60) return max(0, round(mean + sqrt(mean) * this.normal()));
    const limit = exp(-mean);
    let k = 0;
    let p = this.next();
    while (p > limit) {
      k++;
      p *= this.next();
    }
    return k;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** A per-label seed from a base seed (FNV-1a over the label, mixed with the base). */
export function deriveSeed(base: number, label: string): number {
  let h = 0x811c9dc5 ^ (base >>> 0);
  for (let i = 0; i < label.length; i++) h = imul(h ^ label.charCodeAt(i), 0x01000193);
  return new SeededRandom(h >>> 0).nextU32();
}

/**
 * Intraday seasonality by UTC minute of day, peaking at 15:00 (Europe and US both open) and lowest
 * at 03:00; weekends are quieter. Volume swings more than volatility, as on real venues.
 */
const DAY_CYCLE = (() => {
  const out = new Float64Array(1_440);
  for (let m = 0; m < 1_440; m++) out[m] = cos((2 * PI * (m - 15 * 60)) / 1_440);
  return out;
})();

function isWeekend(t: number): boolean {
  const weekday = (floor(t / DAY_MS) + 4) % 7; // 1970-01-01 was a Thursday; 0 = Sunday
  return weekday === 0 || weekday === 6;
}

function checkSpec(spec: SyntheticSymbolSpec): void {
  const positive = ['startPrice', 'annualVolatility', 'meanTradeSize'] as const;
  for (const key of positive) {
    if (!(Number.isFinite(spec[key]) && spec[key] > 0))
      throw new RangeError(`${key} must be positive, got ${spec[key]}`);
  }
  if (!Number.isFinite(spec.annualDrift)) throw new RangeError(`annualDrift must be finite, got ${spec.annualDrift}`);
  if (!(spec.tradesPerMinute >= 1))
    throw new RangeError(`tradesPerMinute must be at least 1, got ${spec.tradesPerMinute}`);
  for (const key of ['priceDecimals', 'amountDecimals'] as const) {
    if (!(Number.isInteger(spec[key]) && spec[key] >= 0 && spec[key] <= 12)) {
      throw new RangeError(`${key} must be an integer 0-12, got ${spec[key]}`);
    }
  }
}

/**
 * One year (by default) of 1m bars ending at `options.end`, the last `tradeMinutes` of them
 * built from generated trade prints.
 *
 * Before the trade window each bar is one step of the walk: open = previous close, close = open ×
 * e^r, and high/low drawn from the extremes of a Brownian bridge between them (so wicks scale with
 * the bar's volatility). Inside the window the same walk is refined into prints: every minute has
 * at least one print (these are liquid markets; it also keeps the series gapless and avoids bars
 * that no trade could explain), the per-print steps add up to the minute's variance, and the bar
 * is the prints' first, highest, lowest and last price and summed amount. Kline, detail and tick
 * views of the window therefore agree exactly.
 */
export function generateSyntheticMarket(spec: SyntheticSymbolSpec, options: SyntheticOptions): SyntheticMarket {
  checkSpec(spec);
  const n = options.minutes ?? YEAR_MINUTES;
  const windowMinutes = options.tradeMinutes ?? TRADE_WINDOW_MINUTES;
  if (!(Number.isSafeInteger(options.end) && options.end % MINUTE_MS === 0)) {
    throw new RangeError(`end must be a whole minute in epoch ms, got ${options.end}`);
  }
  if (!(Number.isInteger(n) && n > 0)) throw new RangeError(`minutes must be a positive integer, got ${n}`);
  if (!(Number.isInteger(windowMinutes) && windowMinutes >= 0 && windowMinutes <= n)) {
    throw new RangeError(`tradeMinutes must be an integer 0-${n}, got ${windowMinutes}`);
  }

  const start = options.end - n * MINUTE_MS;
  const tradeFrom = n - windowMinutes;
  const ticksPerUnit = 10 ** spec.priceDecimals;
  const lotsPerUnit = 10 ** spec.amountDecimals;
  const toTicks = (price: number) => max(1, round(price * ticksPerUnit));

  const time = new Float64Array(n);
  const open = new Float64Array(n);
  const high = new Float64Array(n);
  const low = new Float64Array(n);
  const close = new Float64Array(n);
  const volume = new Float64Array(n);
  const regimes = new Uint8Array(n);
  const trades = new TradeBuffer(Math.ceil(windowMinutes * spec.tradesPerMinute * 1.5) + 16);

  const rng = new SeededRandom(options.seed);
  const regimeRng = new SeededRandom(options.regimeSeed ?? deriveSeed(options.seed, 'regime'));
  const sigmaBase = spec.annualVolatility / sqrt(YEAR_MINUTES);
  const driftPerMinute = spec.annualDrift / YEAR_MINUTES;
  const meanSizeLots = spec.meanTradeSize * lotsPerUnit;
  let regime = 1;
  let logPrice = log(spec.startPrice);
  let lastTicks = toTicks(spec.startPrice);

  for (let i = 0; i < n; i++) {
    const t = start + i * MINUTE_MS;
    if (regimeRng.next() < REGIME_LEAVE[regime]) {
      const [first, p, second] = REGIME_NEXT[regime];
      regime = regimeRng.next() < p ? first : second;
    }
    const cycle = DAY_CYCLE[floor((t % DAY_MS) / MINUTE_MS)];
    const weekend = isWeekend(t);
    const sigma = sigmaBase * REGIME_VOL[regime] * (1 + 0.25 * cycle) * (weekend ? 0.85 : 1);
    const activity = spec.tradesPerMinute * REGIME_ACTIVITY[regime] * (1 + 0.45 * cycle) * (weekend ? 0.7 : 1);
    const mu = driftPerMinute - (sigma * sigma) / 2;
    time[i] = t;
    regimes[i] = regime;

    if (i < tradeFrom) {
      const z = rng.normal();
      const r = mu + sigma * z;
      const variance = sigma * sigma;
      // Maximum and minimum of a Brownian bridge from 0 to r with this variance (exact marginals).
      const up = (r + sqrt(r * r - 2 * variance * log(rng.nextOpen()))) / 2;
      const down = (r - sqrt(r * r - 2 * variance * log(rng.nextOpen()))) / 2;
      const base = exp(logPrice);
      logPrice += r;
      const o = lastTicks;
      const c = toTicks(exp(logPrice));
      open[i] = o;
      close[i] = c;
      high[i] = max(toTicks(base * exp(up)), o, c);
      low[i] = min(toTicks(base * exp(down)), o, c);
      // Volume follows activity, with noise and more of it on big moves.
      const noise = exp(0.3 * rng.normal() - 0.045) * (0.55 + 0.56 * abs(z));
      volume[i] = max(1, round(activity * meanSizeLots * noise));
      lastTicks = c;
      continue;
    }

    const count = 1 + rng.poisson(activity - 1);
    const stepSigma = sigma / sqrt(count);
    const stepMu = mu / count;
    // Sorted uniform offsets in the minute from normalised exponential spacings (no sort needed).
    let total = 0;
    const gaps = new Float64Array(count + 1);
    for (let k = 0; k <= count; k++) {
      gaps[k] = -log(rng.nextOpen());
      total += gaps[k];
    }
    let elapsed = 0;
    let o = 0;
    let h = 0;
    let l = INFINITY;
    let v = 0;
    for (let k = 0; k < count; k++) {
      elapsed += gaps[k];
      const e = rng.normal();
      logPrice += stepMu + stepSigma * e;
      const price = toTicks(exp(logPrice));
      // Takers mostly push the price their way: a rise is usually a buy.
      const side = e >= 0 === rng.next() < 0.75 ? 1 : -1;
      const amount = max(1, round(meanSizeLots * exp(0.9 * rng.normal() - 0.405)));
      trades.push(t + min(MINUTE_MS - 1, floor((MINUTE_MS * elapsed) / total)), price, amount, side);
      if (k === 0) o = price;
      if (price > h) h = price;
      if (price < l) l = price;
      v += amount;
      lastTicks = price;
    }
    open[i] = o;
    high[i] = h;
    low[i] = l;
    close[i] = lastTicks;
    volume[i] = v;
  }

  return {
    start,
    end: options.end,
    priceDecimals: spec.priceDecimals,
    amountDecimals: spec.amountDecimals,
    time,
    open,
    high,
    low,
    close,
    volume,
    regime: regimes,
    tradeFrom,
    trades: trades.finish(),
  };
}

class TradeBuffer {
  private time: Float64Array;
  private price: Float64Array;
  private amount: Float64Array;
  private side: Int8Array;
  private n = 0;

  constructor(private capacity: number) {
    this.time = new Float64Array(capacity);
    this.price = new Float64Array(capacity);
    this.amount = new Float64Array(capacity);
    this.side = new Int8Array(capacity);
  }

  push(time: number, price: number, amount: number, side: number): void {
    if (this.n === this.capacity) this.grow();
    this.time[this.n] = time;
    this.price[this.n] = price;
    this.amount[this.n] = amount;
    this.side[this.n] = side;
    this.n++;
  }

  private grow(): void {
    this.capacity *= 2;
    const grown = <T extends Float64Array | Int8Array>(a: T, make: (n: number) => T): T => {
      const b = make(this.capacity);
      b.set(a);
      return b;
    };
    this.time = grown(this.time, (n) => new Float64Array(n));
    this.price = grown(this.price, (n) => new Float64Array(n));
    this.amount = grown(this.amount, (n) => new Float64Array(n));
    this.side = grown(this.side, (n) => new Int8Array(n));
  }

  finish(): SyntheticTrades {
    return {
      time: this.time.slice(0, this.n),
      price: this.price.slice(0, this.n),
      amount: this.amount.slice(0, this.n),
      side: this.side.slice(0, this.n),
    };
  }
}

/** `units` (a non-negative whole number) of 10^-decimals as an exact decimal string: (123, 2) → "1.23". */
export function formatUnits(units: number, decimals: number): string {
  if (!(isSafeInteger(units) && units >= 0)) throw new RangeError(`not a whole number of units: ${units}`);
  const digits = `${units}`;
  if (decimals === 0) return digits;
  const padded = digits.padStart(decimals + 1, '0');
  return `${padded.slice(0, -decimals)}.${padded.slice(-decimals)}`;
}

/** Bars `[from, to)` as store rows with exact decimal strings. */
export function candleRows(market: SyntheticMarket, from: number, to: number): CandleRow[] {
  const { priceDecimals: pd, amountDecimals: ad } = market;
  const rows: CandleRow[] = new Array<CandleRow>(max(0, to - from));
  for (let i = from; i < to; i++) {
    rows[i - from] = [
      market.time[i],
      formatUnits(market.open[i], pd),
      formatUnits(market.high[i], pd),
      formatUnits(market.low[i], pd),
      formatUnits(market.close[i], pd),
      formatUnits(market.volume[i], ad),
    ];
  }
  return rows;
}

/**
 * Trade id of the k-th print of the window: zero-padded, so that ordering by (time, id), as the
 * store reads trades back, is the generation order even when two prints share a millisecond.
 */
export function syntheticTradeId(k: number): string {
  return String(k).padStart(10, '0');
}

/** Trades `[from, to)` (indices into `market.trades`) as store rows. */
export function tradeRows(market: SyntheticMarket, from: number, to: number): TradeRow[] {
  const { time, price, amount, side } = market.trades;
  const rows: TradeRow[] = new Array<TradeRow>(max(0, to - from));
  for (let k = from; k < to; k++) {
    rows[k - from] = {
      id: syntheticTradeId(k),
      time: time[k],
      side: side[k],
      price: formatUnits(price[k], market.priceDecimals),
      amount: formatUnits(amount[k], market.amountDecimals),
    };
  }
  return rows;
}

/** The bars in prices and base units, as the engine reads them. */
export function syntheticCandleSeries(market: SyntheticMarket): CandleSeries {
  const tick = 10 ** market.priceDecimals;
  const lot = 10 ** market.amountDecimals;
  const scale = (a: Float64Array, by: number) => a.map((x) => x / by);
  return {
    time: market.time.slice(),
    open: scale(market.open, tick),
    high: scale(market.high, tick),
    low: scale(market.low, tick),
    close: scale(market.close, tick),
    volume: scale(market.volume, lot),
    timeframeMs: MINUTE_MS,
  };
}

/** The trade prints in prices and base units, as the engine reads them. */
export function syntheticTradeSeries(market: SyntheticMarket): TradeSeries {
  const { time, price, amount, side } = market.trades;
  const tick = 10 ** market.priceDecimals;
  const lot = 10 ** market.amountDecimals;
  return {
    time: time.slice(),
    price: price.map((x) => x / tick),
    amount: amount.map((x) => x / lot),
    side: side.slice(),
  };
}
