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

export interface FingerprintParts {
  precision: string;
  candles: CandleSeries;
  detail?: readonly CandleSeries[];
  trades?: TradeSeries;
  definition: unknown;
  settings: unknown;
  /**
   * `isRegularTime` of the candles and then of each detail series, when the caller already
   * knows it (`validateCandles` finds it out); worked out here when absent. It chooses how a
   * time column is hashed, so it must be exactly that.
   */
  regularTime?: readonly boolean[];
}

/**
 * sha256 (hex) over the input the run uses, in a canonical form: every input array's raw bytes
 * (float64 in the platform's byte order, little-endian everywhere Node runs), except that a
 * candle series' time column, when regular (`isRegularTime`), is represented by its first
 * time; the lengths and timeframes; and the canonical JSON (sorted keys) of the definition and
 * of the resolved settings. Equal inputs give equal fingerprints, and inputs that differ in any
 * byte give different ones.
 */
export function fingerprint(parts: FingerprintParts): string {
  const series = [parts.candles, ...(parts.detail ?? [])];
  const regular = parts.regularTime ?? series.map((s) => isRegularTime(s.time, s.timeframeMs));
  const hash = createHash('sha256');
  hash.update(`backtest-fingerprint-v2\nprecision:${parts.precision}\n`);
  series.forEach((s, k) => addCandles(hash, k === 0 ? 'candles' : `detail${k - 1}`, s, regular[k]));
  if (parts.trades) {
    const t = parts.trades;
    hash.update(`trades:${t.time.length}\n`);
    for (const a of [t.time, t.price, t.amount, t.side]) hash.update(bytes(a));
  }
  hash.update(`definition:${canonicalJson(parts.definition)}\nsettings:${canonicalJson(parts.settings)}\n`);
  return hash.digest('hex');
}
