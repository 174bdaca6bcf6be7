export { periodsPerYear, YEAR_MS } from './calendar';
export { downsampleEquity, MAX_DOWNSAMPLED_POINTS } from './downsample';
export { computeMetrics, type MetricsInput } from './metrics';
