export { decide, runBars, type BarRun, type IntrabarResolver, type ProgressHook } from './core';
export { detailCoverage, simulateHybrid, simulateHybridStream, type HybridRun } from './hybrid';
export { simulateKline, type AmbiguityMode, type KlineRun } from './kline';
export {
  checkPrecision,
  checkSettings,
  DEFAULT_FEE_RATE,
  DEFAULT_IMPACT_COEFFICIENT,
  DEFAULT_IMPACT_LOOKBACK_MS,
  DEFAULT_LATENCY_MS,
  resolveFeeModel,
  resolveFillModel,
  resolveParams,
  type SimParams,
} from './params';
export { simulateTick, simulateTickStream } from './tick';
