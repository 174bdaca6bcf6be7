import { crc32 } from 'node:zlib';

/**
 * The packed layout of one chunk of a series (one row of `market_candle_chunks` or
 * `market_trade_chunks`): sorted times and prices or amounts as integers scaled by a decimal
 * exponent per chunk, delta-encoded and written as zigzag varints, column after column, so a
 * reader decodes a column in one tight loop into a Float64Array and can skip the columns it
 * does not need.
 *
 * Layout: magic `QC`, format version, kind (1 candles, 2 trades), count (varint), the price
 * exponent, the amount (or volume) exponent, then each column as `byteLength (varint) + bytes`.
 *  - candles: times (first absolute, then delta of deltas: a regular series is one byte a bar),
 *    OHLC (open against the previous close, high/low/close against the open), volume;
 *  - trades: times (deltas), prices (deltas), amounts, sides (2 bits each), ids (mode byte:
 *    0 numeric deltas, 1 UTF-8 text joined by newlines).
 * Mantissas stay below 10^15, so every delta and zigzag value is an exact double and
 * `mantissa / 10^exponent` is the double nearest the decimal, as `Number(text)` would give.
 */

const MAGIC0 = 0x51; // Q
const MAGIC1 = 0x43; // C
const VERSION = 1;
export const KIND_CANDLES = 1;
export const KIND_TRADES = 2;

/** Largest mantissa a chunk stores: 15 decimal digits. */
export const MAX_DIGITS = 15;
const MAX_MANTISSA = 10 ** MAX_DIGITS;
/** Largest exponent: 10^22 is the largest exact power of ten in a double. */
export const MAX_EXPONENT = 22;
const POW10 = Array.from({ length: MAX_EXPONENT + 1 }, (_, i) => 10 ** i);

/** A stored chunk whose bytes do not decode: never read as numbers. */
export class ChunkDecodeError extends Error {}

/** A decimal value as an integer and a scale: `m / 10^s` (s >= 0, trailing zeros stripped). */
export interface Decimal {
  m: number;
  s: number;
}

/**
 * Parses decimal text (or a number, through its shortest text) exactly; null when it is not a
 * decimal or needs more than 15 significant digits (it could not be stored without rounding).
 */
export function parseDecimal(value: string | number): Decimal | null {
  if (typeof value === 'number') {
    if (Number.isInteger(value) && Math.abs(value) < MAX_MANTISSA) return { m: value === 0 ? 0 : value, s: 0 };
    return Number.isFinite(value) ? parseDecimal(String(value)) : null;
  }
  return plainDecimal(value) ?? generalDecimal(value);
}

/**
 * The common case without a regex or substrings: digits with at most one point, at most 15
 * significant digits; undefined hands anything else (signs, exponents, long digit runs) on.
 */
function plainDecimal(text: string): Decimal | null | undefined {
  const n = text.length;
  if (n === 0 || n > 40) return undefined;
  let m = 0;
  let digits = 0;
  let scale = 0;
  let point = false;
  let any = false;
  // Trailing zeros after the point are not significant.
  let end = n;
  if (text.indexOf('.') >= 0) {
    while (end > 0 && text.charCodeAt(end - 1) === 48) end--;
    if (end > 0 && text.charCodeAt(end - 1) === 46) {
      // "100." (or "100.00" once its zeros are gone): the digits before the point are the integer.
      end--;
      if (text.indexOf('.') !== end) return undefined;
      any = true;
    }
  }
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (point) return undefined;
      point = true;
      continue;
    }
    const d = c - 48;
    if (d < 0 || d > 9) return undefined;
    any = true;
    if (digits > 0 || d !== 0) {
      if (++digits > MAX_DIGITS) return undefined;
      m = m * 10 + d;
    }
    if (point) scale++;
  }
  if (!any) return undefined;
  if (m === 0) return { m: 0, s: 0 };
  if (scale > MAX_EXPONENT) return undefined;
  // Integers keep their trailing zeros in the mantissa (scale 0), as the general path does.
  return { m, s: scale };
}

function generalDecimal(text: string): Decimal | null {
  text = text.trim();
  const match = /^([-+]?)(\d*)(?:\.(\d*))?(?:[eE]([-+]?\d+))?$/.exec(text);
  if (!match) return null;
  const [, sign, intPart, fracPart = '', expPart] = match;
  if (intPart === '' && fracPart === '') return null;
  let digits = intPart + fracPart;
  let scale = fracPart.length - (expPart ? Number(expPart) : 0);
  let start = 0;
  while (start < digits.length - 1 && digits.charCodeAt(start) === 48) start++;
  digits = digits.slice(start);
  let end = digits.length;
  while (end > 1 && digits.charCodeAt(end - 1) === 48) {
    end--;
    scale--;
  }
  digits = digits.slice(0, end);
  if (digits === '0') return { m: 0, s: 0 };
  if (scale < 0) {
    if (digits.length - scale > MAX_DIGITS) return null;
    digits += '0'.repeat(-scale);
    scale = 0;
  }
  if (digits.length > MAX_DIGITS || scale > MAX_EXPONENT) return null;
  const m = Number(digits);
  return { m: sign === '-' ? -m : m, s: scale };
}

/** Digits left of the decimal point (may be <= 0 for values below 0.1); 0 for zero. */
export function integerDigits(d: Decimal): number {
  if (d.m === 0) return -MAX_EXPONENT;
  return Math.floor(Math.log10(Math.abs(d.m))) + 1 - d.s;
}

/** `d` as a mantissa at exponent `e` (e >= d.s); NaN when it does not fit in 15 digits. */
export function scaleTo(d: Decimal, e: number): number {
  const m = d.m * POW10[e - d.s];
  return Math.abs(m) < MAX_MANTISSA ? m : NaN;
}

/** Decimal text of `m / 10^e`: what was imported, trailing zeros dropped. */
export function formatScaled(m: number, e: number): string {
  if (e === 0) return String(m);
  const negative = m < 0;
  let digits = String(Math.abs(m));
  if (digits.length <= e) digits = '0'.repeat(e - digits.length + 1) + digits;
  const cut = digits.length - e;
  let frac = digits.slice(cut);
  let end = frac.length;
  while (end > 0 && frac.charCodeAt(end - 1) === 48) end--;
  frac = frac.slice(0, end);
  const text = frac ? `${digits.slice(0, cut)}.${frac}` : digits.slice(0, cut);
  return negative ? `-${text}` : text;
}

class Writer {
  buf: Uint8Array;
  at = 0;
  constructor(capacity: number) {
    this.buf = new Uint8Array(Math.max(64, capacity));
  }
  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.at + n));
    bigger.set(this.buf.subarray(0, this.at));
    this.buf = bigger;
  }
  byte(b: number): void {
    this.room(1);
    this.buf[this.at++] = b;
  }
  /** Unsigned varint of a non-negative integer below 2^53. */
  uint(v: number): void {
    this.room(8);
    const buf = this.buf;
    let at = this.at;
    while (v >= 0x80) {
      buf[at++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    buf[at++] = v;
    this.at = at;
  }
  /** Zigzag varint of an integer of magnitude below 2^52. */
  int(v: number): void {
    this.uint(v >= 0 ? v * 2 : -v * 2 - 1);
  }
  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.at);
    this.at += b.length;
  }
  /** A length-prefixed section written by `fill` into a scratch writer. */
  section(fill: (w: Writer) => void, capacity: number): void {
    const w = new Writer(capacity);
    fill(w);
    this.uint(w.at);
    this.bytes(w.buf.subarray(0, w.at));
  }
  done(): Buffer {
    return Buffer.from(this.buf.buffer, this.buf.byteOffset, this.at);
  }
}

class Reader {
  at: number;
  constructor(
    readonly buf: Uint8Array,
    at = 0,
    readonly end = buf.length,
  ) {
    this.at = at;
  }
  fail(what: string): never {
    throw new ChunkDecodeError(`chunk bytes do not decode: ${what} at byte ${this.at}`);
  }
  byte(): number {
    if (this.at >= this.end) this.fail('truncated');
    return this.buf[this.at++];
  }
  uint(): number {
    const buf = this.buf;
    let at = this.at;
    if (at >= this.end) this.fail('truncated varint');
    let b = buf[at++];
    if (b < 0x80) {
      this.at = at;
      return b;
    }
    let v = b & 0x7f;
    let mul = 0x80;
    for (;;) {
      if (at >= this.end || mul > 2 ** 49) this.fail('bad varint');
      b = buf[at++];
      v += (b & 0x7f) * mul;
      if (b < 0x80) break;
      mul *= 0x80;
    }
    this.at = at;
    return v;
  }
  int(): number {
    const z = this.uint();
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }
  /** The bounds of the next length-prefixed section; moves past it. */
  section(): Reader {
    const length = this.uint();
    const start = this.at;
    if (start + length > this.end) this.fail('section past the end');
    this.at = start + length;
    return new Reader(this.buf, start, start + length);
  }
  expectEnd(): void {
    if (this.at !== this.end) this.fail('trailing bytes');
  }
}

/**
 * Decodes a run of zigzag varints (the hot loop of every read); `mode` 0 plain values,
 * 1 running sum (deltas), 2 running sum of a running sum (delta of deltas).
 */
function readInts(r: Reader, n: number, out: Float64Array, mode: 0 | 1 | 2): void {
  const buf = r.buf;
  const end = r.end;
  let at = r.at;
  let acc = 0;
  let step = 0;
  for (let i = 0; i < n; i++) {
    if (at >= end) r.fail('column truncated');
    let z = buf[at++];
    if (z >= 0x80) {
      z &= 0x7f;
      let mul = 0x80;
      for (;;) {
        if (at >= end || mul > 2 ** 49) r.fail('bad varint');
        const b = buf[at++];
        z += (b & 0x7f) * mul;
        if (b < 0x80) break;
        mul *= 0x80;
      }
    }
    const v = z % 2 === 0 ? z / 2 : -(z + 1) / 2;
    if (mode === 0) out[i] = v;
    else if (mode === 1) out[i] = acc += v;
    else {
      step += v;
      out[i] = acc += step;
    }
  }
  r.at = at;
  r.expectEnd();
}

export interface CandleChunkInput {
  time: ArrayLike<number>;
  /** Mantissas at `priceExp`. */
  open: ArrayLike<number>;
  high: ArrayLike<number>;
  low: ArrayLike<number>;
  close: ArrayLike<number>;
  priceExp: number;
  /** Mantissas at `volumeExp`. */
  volume: ArrayLike<number>;
  volumeExp: number;
}

export interface TradeChunkInput {
  time: ArrayLike<number>;
  /** Mantissas at `priceExp`. */
  price: ArrayLike<number>;
  priceExp: number;
  amount: ArrayLike<number>;
  amountExp: number;
  side: ArrayLike<number>;
  id: readonly string[];
}

function header(w: Writer, kind: number, n: number, priceExp: number, amountExp: number): void {
  w.byte(MAGIC0);
  w.byte(MAGIC1);
  w.byte(VERSION);
  w.byte(kind);
  w.uint(n);
  w.byte(priceExp);
  w.byte(amountExp);
}

function readHeader(buf: Uint8Array, kind: number): { r: Reader; n: number; priceExp: number; amountExp: number } {
  const r = new Reader(buf);
  if (r.byte() !== MAGIC0 || r.byte() !== MAGIC1) r.fail('not a chunk');
  if (r.byte() !== VERSION) r.fail('unknown format version');
  if (r.byte() !== kind) r.fail(kind === KIND_CANDLES ? 'not a candle chunk' : 'not a trade chunk');
  const n = r.uint();
  if (n > 50_000_000) r.fail('implausible count');
  const priceExp = r.byte();
  const amountExp = r.byte();
  if (priceExp > MAX_EXPONENT || amountExp > MAX_EXPONENT) r.fail('bad exponent');
  return { r, n, priceExp, amountExp };
}

export function encodeCandles(c: CandleChunkInput): Buffer {
  const n = c.time.length;
  const w = new Writer(16 + n * 12);
  header(w, KIND_CANDLES, n, c.priceExp, c.volumeExp);
  w.section((s) => {
    let prev = 0;
    let prevStep = 0;
    for (let i = 0; i < n; i++) {
      const step = c.time[i] - prev;
      s.int(step - prevStep);
      prevStep = step;
      prev = c.time[i];
    }
  }, n * 2);
  w.section((s) => {
    let prevClose = 0;
    for (let i = 0; i < n; i++) {
      const o = c.open[i];
      s.int(o - prevClose);
      s.int(c.high[i] - o);
      s.int(o - c.low[i]);
      s.int(c.close[i] - o);
      prevClose = c.close[i];
    }
  }, n * 8);
  w.section((s) => {
    for (let i = 0; i < n; i++) s.int(c.volume[i]);
  }, n * 3);
  return w.done();
}

export interface DecodedCandles {
  time: Float64Array;
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  volume: Float64Array;
  priceExp: number;
  volumeExp: number;
}

/** Decodes a candle chunk; `mantissas` keeps the scaled integers instead of dividing them out. */
export function decodeCandles(buf: Uint8Array, mantissas = false): DecodedCandles {
  const { r, n, priceExp, amountExp } = readHeader(buf, KIND_CANDLES);
  const time = new Float64Array(n);
  readInts(r.section(), n, time, 2);
  const open = new Float64Array(n);
  const high = new Float64Array(n);
  const low = new Float64Array(n);
  const close = new Float64Array(n);
  const p = r.section();
  let prevClose = 0;
  const scale = mantissas ? 1 : POW10[priceExp];
  const pb = p.buf;
  const pend = p.end;
  let at = p.at;
  // Four zigzag varints a bar, read inline: this loop is most of a candle read.
  const next = (): number => {
    if (at >= pend) p.fail('price column truncated');
    let z = pb[at++];
    if (z >= 0x80) {
      z &= 0x7f;
      let mul = 0x80;
      for (;;) {
        if (at >= pend || mul > 2 ** 49) p.fail('bad varint');
        const b = pb[at++];
        z += (b & 0x7f) * mul;
        if (b < 0x80) break;
        mul *= 0x80;
      }
    }
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  };
  for (let i = 0; i < n; i++) {
    const o = prevClose + next();
    const h = o + next();
    const l = o - next();
    const c = o + next();
    prevClose = c;
    open[i] = o / scale;
    high[i] = h / scale;
    low[i] = l / scale;
    close[i] = c / scale;
  }
  p.at = at;
  p.expectEnd();
  const volume = new Float64Array(n);
  readInts(r.section(), n, volume, 0);
  if (!mantissas && amountExp > 0) {
    const vs = POW10[amountExp];
    for (let i = 0; i < n; i++) volume[i] /= vs;
  }
  r.expectEnd();
  for (let i = 1; i < n; i++) if (!(time[i] > time[i - 1])) r.fail('times not increasing');
  return { time, open, high, low, close, volume, priceExp, volumeExp: amountExp };
}

/** Only the times of a candle chunk (coverage and gaps). */
export function decodeCandleTimes(buf: Uint8Array): Float64Array {
  const { r, n } = readHeader(buf, KIND_CANDLES);
  const time = new Float64Array(n);
  readInts(r.section(), n, time, 2);
  return time;
}

const NUMERIC_ID = /^(0|[1-9]\d{0,14})$/;

export function encodeTrades(t: TradeChunkInput): Buffer {
  const n = t.time.length;
  const w = new Writer(16 + n * 10);
  header(w, KIND_TRADES, n, t.priceExp, t.amountExp);
  w.section((s) => {
    let prev = 0;
    for (let i = 0; i < n; i++) {
      s.int(t.time[i] - prev);
      prev = t.time[i];
    }
  }, n * 2);
  w.section((s) => {
    let prev = 0;
    for (let i = 0; i < n; i++) {
      s.int(t.price[i] - prev);
      prev = t.price[i];
    }
  }, n * 2);
  w.section((s) => {
    for (let i = 0; i < n; i++) s.int(t.amount[i]);
  }, n * 3);
  w.section(
    (s) => {
      for (let i = 0; i < n; i += 4) {
        let b = 0;
        for (let k = 0; k < 4 && i + k < n; k++) b |= (t.side[i + k] + 1) << (2 * k);
        s.byte(b);
      }
    },
    (n >> 2) + 1,
  );
  const numeric = t.id.every((id) => NUMERIC_ID.test(id));
  w.section(
    (s) => {
      s.byte(numeric ? 0 : 1);
      if (numeric) {
        let prev = 0;
        for (let i = 0; i < n; i++) {
          const v = Number(t.id[i]);
          s.int(v - prev);
          prev = v;
        }
      } else {
        s.bytes(Buffer.from(t.id.join('\n'), 'utf8'));
      }
    },
    numeric ? n * 2 : n * 12,
  );
  return w.done();
}

export interface DecodedTrades {
  time: Float64Array;
  price: Float64Array;
  amount: Float64Array;
  side: Int8Array;
  /** Present when asked for (`withIds`). */
  id?: string[];
  priceExp: number;
  amountExp: number;
}

/** Decodes a trade chunk; `mantissas` keeps the scaled integers; ids are decoded only when asked for. */
export function decodeTrades(buf: Uint8Array, options: { mantissas?: boolean; withIds?: boolean } = {}): DecodedTrades {
  const { r, n, priceExp, amountExp } = readHeader(buf, KIND_TRADES);
  const time = new Float64Array(n);
  readInts(r.section(), n, time, 1);
  for (let i = 1; i < n; i++) if (time[i] < time[i - 1]) r.fail('times going back');
  const price = new Float64Array(n);
  readInts(r.section(), n, price, 1);
  const amount = new Float64Array(n);
  readInts(r.section(), n, amount, 0);
  if (!options.mantissas) {
    const ps = POW10[priceExp];
    const as = POW10[amountExp];
    for (let i = 0; i < n; i++) {
      price[i] /= ps;
      amount[i] /= as;
    }
  }
  const sides = r.section();
  if (sides.end - sides.at !== (n === 0 ? 0 : ((n - 1) >> 2) + 1)) sides.fail('side column length');
  const side = new Int8Array(n);
  for (let i = 0; i < n; i++) {
    const code = (sides.buf[sides.at + (i >> 2)] >> (2 * (i & 3))) & 3;
    if (code === 3) sides.fail('bad side');
    side[i] = code - 1;
  }
  const ids = r.section();
  r.expectEnd();
  const result: DecodedTrades = { time, price, amount, side, priceExp, amountExp };
  if (options.withIds) {
    const mode = ids.byte();
    if (mode === 0) {
      const values = new Float64Array(n);
      readInts(ids, n, values, 1);
      result.id = Array.from(values, (v) => String(v));
    } else if (mode === 1) {
      const text = Buffer.from(ids.buf.buffer, ids.buf.byteOffset + ids.at, ids.end - ids.at).toString('utf8');
      const list = n === 0 ? [] : text.split('\n');
      if (list.length !== n) ids.fail('id count');
      result.id = list;
    } else ids.fail('unknown id mode');
  }
  return result;
}

/** Only the times of a trade chunk. */
export function decodeTradeTimes(buf: Uint8Array): Float64Array {
  const { r, n } = readHeader(buf, KIND_TRADES);
  const time = new Float64Array(n);
  readInts(r.section(), n, time, 1);
  return time;
}

/** The checksum stored beside a chunk's bytes and verified before every decode (a signed int4). */
export function chunkChecksum(buf: Uint8Array): number {
  return crc32(buf) | 0;
}
