import { createHash, type Hash } from 'node:crypto';
import { isRegularTime } from './data/validate';
import { canonicalJson } from './json';
import type { CandleSeries, TradeSeries } from './types';

function bytes(a: Float64Array | Int8Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function addCandles(hash: Hash, label: string, s: CandleSeries, regularTime: boolean): void {
  hash.update(`${label}:${s.time.length}:${s.timeframeMs}\n`);
  // A regular time column (no gaps, the common case) is hashed as its first time alone, which
  // with the length and timeframe above gives back the column; any other as its bytes. The
  // tags keep the two forms apart.
  if (regularTime) {
    hash.update('time:regular\n');
    hash.update(bytes(s.time.subarray(0, 1)));
  } else {
    hash.update('time:bytes\n');
    hash.update(bytes(s.time));
  }
  for (const a of [s.open, s.high, s.low, s.close, s.volume]) hash.update(bytes(a));
}

/**
 * A sha256 per column of a series that arrives in chunks: a column's bytes hash alike however
 * they are cut, which one hash over the columns one after the other (the whole-array form)
 * cannot do without holding the series.
 */
class ColumnDigests {
  protected readonly columns: Hash[];
  length = 0;

  constructor(count: number) {
    this.columns = Array.from({ length: count }, () => createHash('sha256'));
  }

  protected addColumns(arrays: readonly (Float64Array | Int8Array)[]): void {
    arrays.forEach((a, k) => this.columns[k].update(bytes(a)));
    this.length += arrays[0].length;
  }

  protected digests(hash: Hash, from: number): void {
    for (let k = from; k < this.columns.length; k++) hash.update(this.columns[k].digest());
  }
}

/** Digests of a streamed candle series (time, open, high, low, close, volume). */
export class CandleDigest extends ColumnDigests {
  private first = NaN;
  private onGrid = true;

  constructor(readonly timeframeMs: number) {
    super(6);
  }

  add(chunk: CandleSeries): void {
    const time = chunk.time;
    if (time.length === 0) return;
    if (this.length === 0) this.first = time[0];
    // The test of `isRegularTime`, carried across chunks.
    for (let i = 0; i < time.length && this.onGrid; i++) {
      this.onGrid = time[i] === this.first + (this.length + i) * this.timeframeMs;
    }
    this.addColumns([time, chunk.open, chunk.high, chunk.low, chunk.close, chunk.volume]);
  }

  /** Whether the whole series' time column is regular (`isRegularTime`). */
  get regularTime(): boolean {
    return this.length > 0 && this.onGrid && this.first > 0 && this.timeframeMs > 0;
  }

  write(hash: Hash, label: string): void {
    hash.update(`${label}:${this.length}:${this.timeframeMs}\n`);
    if (this.regularTime) {
      hash.update('time:regular\n');
      hash.update(bytes(new Float64Array([this.first])));
      this.columns[0].digest();
    } else {
      hash.update('time:digest\n');
      hash.update(this.columns[0].digest());
    }
    this.digests(hash, 1);
  }
}

/** Digests of streamed trade prints (time, price, amount, side). */
export class TradeDigest extends ColumnDigests {
  constructor() {
    super(4);
  }

  add(chunk: TradeSeries): void {
    if (chunk.time.length > 0) this.addColumns([chunk.time, chunk.price, chunk.amount, chunk.side]);
  }

  write(hash: Hash): void {
    hash.update(`trades:${this.length}\n`);
    this.digests(hash, 0);
  }
}

export interface FingerprintParts {
  precision: string;
  candles: CandleSeries;
  /** Hybrid: the detail series' digests, coarsest first, complete (every chunk added). */
  detail?: readonly CandleDigest[];
  /** Tick: the prints' digest, complete. */
  trades?: TradeDigest;
  definition: unknown;
  settings: unknown;
  /**
   * `isRegularTime` of the candles, when the caller already knows it (`validateCandles` finds
   * it out); worked out here when absent. It chooses how the time column is hashed, so it must
   * be exactly that.
   */
  regularTime?: boolean;
}

/** The digest of a whole candle series, as if it had arrived in one chunk. */
export function candleDigest(series: CandleSeries): CandleDigest {
  const digest = new CandleDigest(series.timeframeMs);
  digest.add(series);
  return digest;
}

/** The digest of whole trade prints, as if they had arrived in one chunk. */
export function tradeDigest(trades: TradeSeries): TradeDigest {
  const digest = new TradeDigest();
  digest.add(trades);
  return digest;
}

/**
 * sha256 (hex) over the input the run uses, in a canonical form: the base candles' raw bytes
 * (float64 in the platform's byte order, little-endian everywhere Node runs), except that a
 * regular time column (`isRegularTime`) is represented by its first time; for each streamed
 * series (detail bars, prints) the sha256 of each column's bytes, which does not depend on how
 * the series was cut into chunks (a regular detail time column again as its first time); the
 * lengths and timeframes; and the canonical JSON (sorted keys) of the definition and of the
 * resolved settings. Equal inputs give equal fingerprints, and inputs that differ in any byte
 * give different ones. A digest can be written once: `digest()` ends its hashes.
 */
export function fingerprint(parts: FingerprintParts): string {
  const candles = parts.candles;
  const regular = parts.regularTime ?? isRegularTime(candles.time, candles.timeframeMs);
  const hash = createHash('sha256');
  hash.update(`backtest-fingerprint-v3\nprecision:${parts.precision}\n`);
  addCandles(hash, 'candles', candles, regular);
  parts.detail?.forEach((d, k) => d.write(hash, `detail${k}`));
  parts.trades?.write(hash);
  hash.update(`definition:${canonicalJson(parts.definition)}\nsettings:${canonicalJson(parts.settings)}\n`);
  return hash.digest('hex');
}
