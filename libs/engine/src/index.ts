export * from './types';
export { runBacktest, runBacktestStream } from './backtest';
export { EngineError, type EngineErrorCode } from './errors';
export { ENGINE_VERSION } from './version';
export { canonicalJson, toResultJson } from './json';
export {
  aggregateCandles,
  allocateCandles,
  candlesFromRows,
  candlesFromTrades,
  formatTimeframe,
  inferTimeframe,
  parseTimeframe,
  sliceCandles,
  validateCandles,
  validateTrades,
  parseTime,
} from './data';
export { computeMetrics, downsampleEquity, MAX_DOWNSAMPLED_POINTS, periodsPerYear } from './metrics';
export {
  simulateHybrid,
  simulateHybridStream,
  simulateKline,
  simulateTick,
  simulateTickStream,
  resolveParams,
  resolveFeeModel,
  resolveFillModel,
  DEFAULT_FEE_RATE,
  DEFAULT_LATENCY_MS,
  DEFAULT_IMPACT_COEFFICIENT,
  DEFAULT_IMPACT_LOOKBACK_MS,
  type AmbiguityMode,
  type SimParams,
} from './simulate';
export {
  validateStrategy,
  validateStrategyDocument,
  formatValidationIssues,
  type DocumentValidationResult,
} from './strategy/validate';
export { bindParams, paramSpace } from './strategy/params';
export { strategyJsonSchema } from './strategy/json-schema';
export { strategyTemplates } from './strategy/templates';
export { compileSignals } from './strategy/signals';
export {
  computeIndicator,
  indicatorOutputs,
  warmupBars,
  priceSource,
  INDICATOR_TYPES,
  PRICE_SOURCES,
} from './indicators';
export { COMPARISON_OPS, LOGICAL_OPS, indicatorVocabulary } from './strategy/vocabulary';
