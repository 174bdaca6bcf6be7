import { formatTimeframe, parseTimeframe } from '@app/engine';
import { MarketInputError } from './market.errors';

const EXCHANGE = /^[a-z0-9][a-z0-9_.-]{0,31}$/;
const SYMBOL = /^([A-Z0-9._-]{1,20})\/([A-Z0-9._-]{1,20})$/;

/** `Binance` → `binance`; 400 when it is not an exchange id. */
export function normalizeExchange(raw: string, field = 'exchange'): string {
  const value = raw.trim().toLowerCase();
  if (!EXCHANGE.test(value)) {
    throw new MarketInputError([
      { field, message: `"${raw}" is not an exchange id (letters, digits, _ . -; at most 32 characters)` },
    ]);
  }
  return value;
}

/** `btc/usdt` → `{ symbol: 'BTC/USDT', base: 'BTC', quote: 'USDT' }`; 400 unless it has the BASE/QUOTE form. */
export function parseSymbol(raw: string, field = 'symbol'): { symbol: string; base: string; quote: string } {
  const value = raw.trim().toUpperCase();
  const m = SYMBOL.exec(value);
  if (!m)
    throw new MarketInputError([{ field, message: `"${raw}" is not a symbol in BASE/QUOTE form (e.g. BTC/USDT)` }]);
  return { symbol: value, base: m[1], quote: m[2] };
}

/** Milliseconds of a timeframe (`1m`, `4h`, `1d`); 400 naming the field otherwise. */
export function timeframeMs(raw: string, field = 'timeframe'): number {
  try {
    const ms = parseTimeframe(raw);
    if (ms < 1_000 || ms > 7 * 86_400_000) throw new Error('range');
    return ms;
  } catch {
    throw new MarketInputError([
      { field, message: `"${raw}" is not a supported timeframe (1s to 1w, e.g. 1s, 1m, 15m, 1h, 1d)` },
    ]);
  }
}

export { formatTimeframe };
