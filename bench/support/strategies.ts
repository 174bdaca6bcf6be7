/** The benches' strategy: an SMA cross with stops, so every run trades and resolves intrabar exits. */
export const SMA_CROSS_BENCH = {
  version: 1,
  indicators: { fast: { type: 'sma', period: 10 }, slow: { type: 'sma', period: 30 } },
  entry: { long: { crossAbove: ['fast', 'slow'] } },
  exit: { long: { crossBelow: ['fast', 'slow'] } },
  risk: { stopLossPct: 1, takeProfitPct: 2 },
  sizing: { type: 'equityFraction', fraction: 1 },
};
