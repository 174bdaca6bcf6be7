import { createHash } from 'node:crypto';
import {
  Decimal,
  DecodedCandles,
  DecodedTrades,
  MAX_DIGITS,
  chunkChecksum,
  encodeCandles,
  encodeTrades,
  formatScaled,
  integerDigits,
  scaleTo,
} from './chunk-codec';

/** Candle chunks hold this many bars of the stored timeframe (a UTC day of 1m bars). */
export const CANDLES_PER_CHUNK = 1440;
/** Trade chunks hold an hour of prints: a sync that appends rewrites at most an hour. */
export const TRADE_CHUNK_MS = 3_600_000;

export const candleChunkSpan = (timeframeMs: number) => timeframeMs * CANDLES_PER_CHUNK;
export const chunkStartOf = (time: number, span: number) => Math.floor(time / span) * span;

/** One candle to store; `line` is where it came from (0 for sync and demo rows). */
export interface PendingCandle {
  line: number;
  t: number;
  o: Decimal;
  h: Decimal;
  l: Decimal;
  c: Decimal;
  v: Decimal;
}

export interface PendingTrade {
  line: number;
  id: string;
  t: number;
  side: number;
  price: Decimal;
  amount: Decimal;
}

/** What a chunk row keeps beside its bytes: enough for coverage and coarse reads. */
export interface ChunkSummary {
  count: number;
  first: number;
  last: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

export interface ChunkRow {
  start: number;
  data: Buffer;
  checksum: number;
  /** sha256 of `data`: stored once, so a run's fingerprint need not hash every byte again. */
  digest: Buffer;
  summary: ChunkSummary;
}

export interface MergeOutcome {
  /** null when nothing new was added (the stored chunk stays as it is). */
  row: ChunkRow | null;
  inserted: number;
  duplicates: number;
  rejections: Array<{ line: number; reason: string }>;
}

function row(start: number, data: Buffer, summary: ChunkSummary): ChunkRow {
  return {
    start,
    data,
    checksum: chunkChecksum(data),
    digest: createHash('sha256').update(data).digest(),
    summary,
  };
}

/**
 * A chunk's summary from its scaled columns (prints pass their price as open, high, low and
 * close). Volume is summed bar by bar in time order: the same sum, in the same order, as
 * aggregating the decoded bars.
 */
function summarise(
  time: Float64Array,
  cols: { open: Float64Array; high: Float64Array; low: Float64Array; close: Float64Array; volume: Float64Array },
  priceScale: number,
  volumeScale: number,
): ChunkSummary {
  const n = time.length;
  let high = -Infinity;
  let low = Infinity;
  let volume = 0;
  for (let i = 0; i < n; i++) {
    if (cols.high[i] > high) high = cols.high[i];
    if (cols.low[i] < low) low = cols.low[i];
    volume += cols.volume[i] / volumeScale;
  }
  return {
    count: n,
    first: time[0],
    last: time[n - 1],
    open: cols.open[0] / priceScale,
    high: high / priceScale,
    low: low / priceScale,
    close: cols.close[n - 1] / priceScale,
    volume,
  };
}

/**
 * The exponent a column group is stored at: the most decimals any value has, unless that would
 * push the largest value past 15 digits; `floor` is the exponent already stored (its values fit).
 */
function chooseExponent(values: Decimal[], floor: number, storedIntDigits: number): number {
  let maxScale = 0;
  let maxInt = storedIntDigits;
  for (const d of values) {
    if (d.s > maxScale) maxScale = d.s;
    const digits = integerDigits(d);
    if (digits > maxInt) maxInt = digits;
  }
  return Math.max(floor, Math.min(maxScale, MAX_DIGITS - maxInt));
}

function mantissaDigits(values: Float64Array, exponent: number): number {
  let max = 0;
  for (let i = 0; i < values.length; i++) if (Math.abs(values[i]) > max) max = Math.abs(values[i]);
  return max === 0 ? -99 : Math.floor(Math.log10(max)) + 1 - exponent;
}

const show = (d: Decimal) => formatScaled(d.m, d.s);

/**
 * Merges new candles into a stored chunk (mantissas, or null): a bar whose open time is stored
 * already is a duplicate and the stored one stays; a value that cannot share the chunk's
 * exponent within 15 digits is rejected with its line, never rounded.
 */
export function mergeCandles(start: number, stored: DecodedCandles | null, rows: PendingCandle[]): MergeOutcome {
  const rejections: MergeOutcome['rejections'] = [];
  const have = new Set<number>(stored ? stored.time : []);
  const fresh: PendingCandle[] = [];
  let duplicates = 0;
  for (const r of rows) {
    if (have.has(r.t)) duplicates++;
    else {
      have.add(r.t);
      fresh.push(r);
    }
  }
  if (fresh.length === 0) return { row: null, inserted: 0, duplicates, rejections };
  const n0 = stored?.time.length ?? 0;
  const storedPrice = stored && n0 > 0 ? stored.priceExp : 0;
  const storedVolume = stored && n0 > 0 ? stored.volumeExp : 0;
  const pe = chooseExponent(
    fresh.flatMap((r) => [r.o, r.h, r.l, r.c]),
    storedPrice,
    stored && n0 > 0
      ? Math.max(mantissaDigits(stored.high, storedPrice), mantissaDigits(stored.low, storedPrice))
      : -99,
  );
  const ve = chooseExponent(
    fresh.map((r) => r.v),
    storedVolume,
    stored && n0 > 0 ? mantissaDigits(stored.volume, storedVolume) : -99,
  );
  type Bar = [t: number, o: number, h: number, l: number, c: number, v: number];
  const bars: Bar[] = [];
  const pf = 10 ** (pe - storedPrice);
  const vf = 10 ** (ve - storedVolume);
  for (let i = 0; i < n0; i++) {
    const s = stored!;
    bars.push([s.time[i], s.open[i] * pf, s.high[i] * pf, s.low[i] * pf, s.close[i] * pf, s.volume[i] * vf]);
  }
  let inserted = 0;
  for (const r of fresh) {
    const bar: Bar = [r.t, scaleTo(r.o, pe), scaleTo(r.h, pe), scaleTo(r.l, pe), scaleTo(r.c, pe), scaleTo(r.v, ve)];
    const badPrice = [r.o, r.h, r.l, r.c].find((d, k) => d.s > pe || Number.isNaN(bar[k + 1]));
    if (badPrice) {
      rejections.push({
        line: r.line,
        reason: `price ${show(badPrice)} does not fit the chunk's scale (${pe} decimals, 15 digits): it would be rounded`,
      });
      continue;
    }
    if (r.v.s > ve || Number.isNaN(bar[5])) {
      rejections.push({
        line: r.line,
        reason: `volume ${show(r.v)} does not fit the chunk's scale (${ve} decimals, 15 digits): it would be rounded`,
      });
      continue;
    }
    bars.push(bar);
    inserted++;
  }
  if (inserted === 0) return { row: null, inserted: 0, duplicates, rejections };
  bars.sort((a, b) => a[0] - b[0]);
  const col = (k: number) => Float64Array.from(bars, (b) => b[k]);
  const input = {
    time: col(0),
    open: col(1),
    high: col(2),
    low: col(3),
    close: col(4),
    volume: col(5),
    priceExp: pe,
    volumeExp: ve,
  };
  const data = encodeCandles(input);
  return {
    row: row(start, data, summarise(input.time, input, 10 ** pe, 10 ** ve)),
    inserted,
    duplicates,
    rejections,
  };
}

/**
 * Merges new prints into a stored chunk (mantissas with ids, or null), keyed by the exchange's
 * trade id: the same id with the same time, side, price and amount is a duplicate; the same id
 * with anything else is rejected with its line. Prints stay in time order, ties by id.
 */
export function mergeTrades(start: number, stored: DecodedTrades | null, rows: PendingTrade[]): MergeOutcome {
  const rejections: MergeOutcome['rejections'] = [];
  const n0 = stored?.time.length ?? 0;
  const storedPrice = stored && n0 > 0 ? stored.priceExp : 0;
  const storedAmount = stored && n0 > 0 ? stored.amountExp : 0;
  type Known = { t: number; side: number; price: string; amount: string };
  const known = new Map<string, Known>();
  for (let i = 0; i < n0; i++) {
    const s = stored!;
    known.set(s.id![i], {
      t: s.time[i],
      side: s.side[i],
      price: formatScaled(s.price[i], storedPrice),
      amount: formatScaled(s.amount[i], storedAmount),
    });
  }
  const fresh: PendingTrade[] = [];
  let duplicates = 0;
  for (const r of rows) {
    const seen = known.get(r.id);
    const mine: Known = { t: r.t, side: r.side, price: show(r.price), amount: show(r.amount) };
    if (!seen) {
      known.set(r.id, mine);
      fresh.push(r);
    } else if (
      seen.t === mine.t &&
      seen.side === mine.side &&
      seen.price === mine.price &&
      seen.amount === mine.amount
    ) {
      duplicates++;
    } else {
      rejections.push({
        line: r.line,
        reason:
          `trade id ${r.id} is already stored with other values ` +
          `(${new Date(seen.t).toISOString()} price ${seen.price} amount ${seen.amount} side ${seen.side})`,
      });
    }
  }
  if (fresh.length === 0) return { row: null, inserted: 0, duplicates, rejections };
  const pe = chooseExponent(
    fresh.map((r) => r.price),
    storedPrice,
    stored && n0 > 0 ? mantissaDigits(stored.price, storedPrice) : -99,
  );
  const ae = chooseExponent(
    fresh.map((r) => r.amount),
    storedAmount,
    stored && n0 > 0 ? mantissaDigits(stored.amount, storedAmount) : -99,
  );
  type Print = [t: number, price: number, amount: number, side: number, id: string];
  const prints: Print[] = [];
  const pf = 10 ** (pe - storedPrice);
  const af = 10 ** (ae - storedAmount);
  for (let i = 0; i < n0; i++) {
    const s = stored!;
    prints.push([s.time[i], s.price[i] * pf, s.amount[i] * af, s.side[i], s.id![i]]);
  }
  let inserted = 0;
  for (const r of fresh) {
    const price = scaleTo(r.price, pe);
    const amount = scaleTo(r.amount, ae);
    if (r.price.s > pe || Number.isNaN(price)) {
      rejections.push({
        line: r.line,
        reason: `price ${show(r.price)} does not fit the chunk's scale (${pe} decimals, 15 digits): it would be rounded`,
      });
      continue;
    }
    if (r.amount.s > ae || Number.isNaN(amount)) {
      rejections.push({
        line: r.line,
        reason: `amount ${show(r.amount)} does not fit the chunk's scale (${ae} decimals, 15 digits): it would be rounded`,
      });
      continue;
    }
    prints.push([r.t, price, amount, r.side, r.id]);
    inserted++;
  }
  if (inserted === 0) return { row: null, inserted: 0, duplicates, rejections };
  // Equal times go by id, shorter first (numeric ids in numeric order), whichever write brought them.
  prints.sort((a, b) => a[0] - b[0] || a[4].length - b[4].length || (a[4] < b[4] ? -1 : a[4] > b[4] ? 1 : 0));
  const input = {
    time: Float64Array.from(prints, (p) => p[0]),
    price: Float64Array.from(prints, (p) => p[1]),
    amount: Float64Array.from(prints, (p) => p[2]),
    side: Int8Array.from(prints, (p) => p[3]),
    id: prints.map((p) => p[4]),
    priceExp: pe,
    amountExp: ae,
  };
  const data = encodeTrades(input);
  const { price } = input;
  const summary = summarise(
    input.time,
    { open: price, high: price, low: price, close: price, volume: input.amount },
    10 ** pe,
    10 ** ae,
  );
  return {
    row: row(start, data, summary),
    inserted,
    duplicates,
    rejections,
  };
}
