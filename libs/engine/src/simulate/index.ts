export { decide, runBars, type BarRun, type IntrabarResolver, type ProgressHook } from './core';
export { detailCoverage, simulateHybrid, simulateHybridStream, type HybridRun } from './hybrid';
export { simulateKline, type AmbiguityMode, type KlineRun } from './kline';
export { checkPrecision, checkSettings, resolveParams, type SimParams } from './params';
export { simulateTick, simulateTickStream } from './tick';
