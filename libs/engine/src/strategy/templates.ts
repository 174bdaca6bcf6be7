import type { StrategyDefinition } from '../types';

export interface StrategyTemplate {
  id: string;
  name: string;
  description: string;
  definition: StrategyDefinition;
}

export const strategyTemplates: ReadonlyArray<StrategyTemplate> = deepFreeze<StrategyTemplate[]>([
  {
    id: 'sma-cross',
    name: 'SMA crossover',
    description:
      'Long while the 10-bar SMA is above the 30-bar SMA: enter when the fast average crosses above the slow one, ' +
      'exit when it crosses back below.',
    definition: {
      version: 1,
      indicators: {
        fast: { type: 'sma', period: 10, source: 'close' },
        slow: { type: 'sma', period: 30, source: 'close' },
      },
      entry: { long: { crossAbove: ['fast', 'slow'] } },
      exit: { long: { crossBelow: ['fast', 'slow'] } },
      risk: { stopLossPct: 5 },
      sizing: { type: 'equityFraction', fraction: 1, wholeUnits: false },
      allowShort: false,
      reverseOnSignal: true,
    },
  },
  {
    id: 'rsi-mean-reversion',
    name: 'RSI mean reversion',
    description:
      'Buys oversold dips in an uptrend: enter long when RSI(14) is below 30 while the close is above its 200-bar SMA, ' +
      'exit when RSI rises above 70, with a 5% stop-loss and a 48-bar time stop.',
    definition: {
      version: 1,
      indicators: {
        rsi: { type: 'rsi', period: 14, source: 'close' },
        trend: { type: 'sma', period: 200, source: 'close' },
      },
      entry: { long: { all: [{ lt: ['rsi', 30] }, { gt: ['close', 'trend'] }] } },
      exit: { long: { gt: ['rsi', 70] } },
      risk: { stopLossPct: 5, maxBarsInTrade: 48 },
      sizing: { type: 'equityFraction', fraction: 1, wholeUnits: false },
      allowShort: false,
      reverseOnSignal: true,
    },
  },
  {
    id: 'bollinger-breakout',
    name: 'Bollinger Band breakout',
    description:
      'Trades volatility breakouts both ways: long when the close crosses above the upper band of BB(20, 2), ' +
      'short when it crosses below the lower band; each side exits when the close crosses back through the middle ' +
      'band, with a 3% trailing stop.',
    definition: {
      version: 1,
      indicators: { bb: { type: 'bbands', period: 20, stdDev: 2, source: 'close' } },
      entry: {
        long: { crossAbove: ['close', 'bb.upper'] },
        short: { crossBelow: ['close', 'bb.lower'] },
      },
      exit: {
        long: { crossBelow: ['close', 'bb.middle'] },
        short: { crossAbove: ['close', 'bb.middle'] },
      },
      risk: { trailingStopPct: 3 },
      sizing: { type: 'equityFraction', fraction: 1, wholeUnits: false },
      allowShort: true,
      reverseOnSignal: true,
    },
  },
  {
    id: 'macd-trend',
    name: 'MACD trend following',
    description:
      'Always in the market on the side of the MACD(12, 26, 9): long when the MACD line crosses above its signal ' +
      'line, short when it crosses below; each signal reverses the position.',
    definition: {
      version: 1,
      indicators: { macd: { type: 'macd', fast: 12, slow: 26, signal: 9, source: 'close' } },
      entry: {
        long: { crossAbove: ['macd.macd', 'macd.signal'] },
        short: { crossBelow: ['macd.macd', 'macd.signal'] },
      },
      exit: {},
      risk: {},
      sizing: { type: 'equityFraction', fraction: 1, wholeUnits: false },
      allowShort: true,
      reverseOnSignal: true,
    },
  },
  {
    id: 'donchian-breakout',
    name: 'Donchian channel breakout',
    description:
      'Turtle-style breakout: long when a bar makes a new 20-bar high, short on a new 20-bar low; longs exit on a ' +
      'new 10-bar low and shorts on a new 10-bar high, with a 4% stop-loss. The channels include the current bar, ' +
      'so a new high is "high >= upper".',
    definition: {
      version: 1,
      indicators: {
        entryChannel: { type: 'donchian', period: 20 },
        exitChannel: { type: 'donchian', period: 10 },
      },
      entry: {
        long: { gte: ['high', 'entryChannel.upper'] },
        short: { lte: ['low', 'entryChannel.lower'] },
      },
      exit: {
        long: { lte: ['low', 'exitChannel.lower'] },
        short: { gte: ['high', 'exitChannel.upper'] },
      },
      risk: { stopLossPct: 4 },
      sizing: { type: 'equityFraction', fraction: 1, wholeUnits: false },
      allowShort: true,
      reverseOnSignal: false,
    },
  },
]);

/** Shared by every caller, so nobody may edit a template in place. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
