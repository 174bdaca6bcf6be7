export { aggregateCandles, allocateCandles, candlesFromRows, candlesFromTrades, sliceCandles } from './aggregate';
export { formatTimeframe, inferTimeframe, parseTimeframe } from './timeframe';
export { validateCandles, validateTrades } from './validate';
export { parseTime } from './time';
