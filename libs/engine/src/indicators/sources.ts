import type { CandleSeries, PriceSource } from '../types';

export const PRICE_SOURCES: readonly PriceSource[] = Object.freeze([
  'open',
  'high',
  'low',
  'close',
  'volume',
  'hl2',
  'hlc3',
  'ohlc4',
] as const);

export function isPriceSource(value: string): value is PriceSource {
  return (PRICE_SOURCES as readonly string[]).includes(value);
}

/**
 * The series an indicator reads. Raw fields are the candle arrays themselves (callers must not
 * write to them); `hl2`, `hlc3` and `ohlc4` are computed into a new array.
 */
export function priceSource(candles: CandleSeries, source: PriceSource): Float64Array {
  switch (source) {
    case 'open':
      return candles.open;
    case 'high':
      return candles.high;
    case 'low':
      return candles.low;
    case 'close':
      return candles.close;
    case 'volume':
      return candles.volume;
    case 'hl2': {
      const { high, low } = candles;
      const out = new Float64Array(high.length);
      for (let i = 0; i < out.length; i++) out[i] = (high[i] + low[i]) / 2;
      return out;
    }
    case 'hlc3': {
      const { high, low, close } = candles;
      const out = new Float64Array(high.length);
      for (let i = 0; i < out.length; i++) out[i] = (high[i] + low[i] + close[i]) / 3;
      return out;
    }
    case 'ohlc4': {
      const { open, high, low, close } = candles;
      const out = new Float64Array(high.length);
      for (let i = 0; i < out.length; i++) out[i] = (open[i] + high[i] + low[i] + close[i]) / 4;
      return out;
    }
  }
}
