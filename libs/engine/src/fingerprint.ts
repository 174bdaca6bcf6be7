import { createHash, type Hash } from 'node:crypto';
import { canonicalJson } from './json';
import type { CandleSeries, TradeSeries } from './types';

function bytes(a: Float64Array | Int8Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function addCandles(hash: Hash, label: string, s: CandleSeries): void {
  hash.update(`${label}:${s.time.length}:${s.timeframeMs}\n`);
  for (const a of [s.time, s.open, s.high, s.low, s.close, s.volume]) hash.update(bytes(a));
}

export interface FingerprintParts {
  precision: string;
  candles: CandleSeries;
  detail?: readonly CandleSeries[];
  trades?: TradeSeries;
  definition: unknown;
  settings: unknown;
}

/**
 * sha256 (hex) over the raw bytes of every input array the run uses (float64 in the platform's
 * byte order, little-endian everywhere Node runs), their lengths and timeframes, and the
 * canonical JSON (sorted keys) of the definition and of the resolved settings.
 */
export function fingerprint(parts: FingerprintParts): string {
  const hash = createHash('sha256');
  hash.update(`backtest-fingerprint-v1\nprecision:${parts.precision}\n`);
  addCandles(hash, 'candles', parts.candles);
  parts.detail?.forEach((d, k) => addCandles(hash, `detail${k}`, d));
  if (parts.trades) {
    const t = parts.trades;
    hash.update(`trades:${t.time.length}\n`);
    for (const a of [t.time, t.price, t.amount, t.side]) hash.update(bytes(a));
  }
  hash.update(`definition:${canonicalJson(parts.definition)}\nsettings:${canonicalJson(parts.settings)}\n`);
  return hash.digest('hex');
}
