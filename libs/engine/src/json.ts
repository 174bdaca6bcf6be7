import type { BacktestResult, EquityCurve } from './types';

/** A Float64Array that `JSON.stringify` writes as a plain array of numbers. */
export class JsonFloat64Array extends Float64Array {
  /** A view of `source`'s memory (no copy). */
  static viewOf(source: Float64Array): JsonFloat64Array {
    return new JsonFloat64Array(source.buffer as ArrayBuffer, source.byteOffset, source.length);
  }

  toJSON(): number[] {
    return Array.from(this);
  }
}

/**
 * JSON with object keys sorted at every level (arrays keep their order; `undefined` members are
 * left out), so equal values always give equal text. Used for fingerprints.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter((k) => record[k] !== undefined && typeof record[k] !== 'function')
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`).join(',')}}`;
}

/**
 * The result's JSON text. The engine builds every result with the same key order and only
 * finite numbers or null (see BacktestMetrics), and its typed arrays serialise as plain
 * arrays, so `JSON.stringify(result)` is already canonical: identical inputs give
 * byte-identical text. This function gives the same text, and still does for a result that
 * lost its array class on the way (`structuredClone`, a worker message).
 */
export function toResultJson(result: BacktestResult): string {
  const plain = (c: EquityCurve) => ({ time: Array.from(c.time), equity: Array.from(c.equity) });
  return JSON.stringify({
    ...result,
    equity: plain(result.equity),
    equityDownsampled: plain(result.equityDownsampled),
  });
}
