import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import {
  aggregateCandles,
  candlesFromTrades,
  EngineError,
  parseTimeframe,
  runBacktest,
  toResultJson,
  validateCandles,
  validateTrades,
  type BacktestInput,
  type CandleSeries,
  type StrategyDefinition,
  type TradeSeries,
} from '@app/engine';
import { parseBacktestArgs, USAGE, type BacktestArgs } from './backtest-args';
import { InputError, readCandles, readStrategy, readTrades } from './market-files';

export interface Sink {
  write(text: string): unknown;
}

function loadCandles(path: string): CandleSeries {
  const series = readCandles(path);
  validateCandles(series, basename(path));
  return series;
}

/** Reads the files named on the command line and assembles the engine input. */
export function buildInput(args: BacktestArgs): BacktestInput {
  const definition = readStrategy(args.strategy) as StrategyDefinition;
  const timeframeMs = args.timeframe === undefined ? undefined : parseTimeframe(args.timeframe);
  let trades: TradeSeries | undefined;
  if (args.trades !== undefined) {
    trades = readTrades(args.trades);
    validateTrades(trades, basename(args.trades));
  }
  let source: CandleSeries;
  if (args.candles !== undefined) {
    source = loadCandles(args.candles);
  } else {
    if (timeframeMs === undefined) throw new InputError('--timeframe is needed to build candles from --trades');
    source = candlesFromTrades(trades!, timeframeMs);
  }
  const candles =
    args.candles !== undefined && timeframeMs !== undefined ? aggregateCandles(source, timeframeMs) : source;
  let detail: CandleSeries[] | undefined;
  if (args.precision === 'hybrid') {
    detail = args.detail.map(loadCandles);
    if (detail.length === 0) {
      if (candles === source) {
        throw new InputError(
          '--precision hybrid needs --detail FILE, or --timeframe to aggregate --candles (which then serve as detail)',
        );
      }
      detail = [source];
    }
  }
  return {
    definition,
    precision: args.precision,
    candles,
    detail,
    trades: args.precision === 'tick' ? trades : undefined,
    settings: {
      initialCapital: args.capital,
      ...(args.makerFee === undefined
        ? { feeRate: args.fee }
        : { fees: { type: 'makerTaker' as const, makerRate: args.makerFee, takerRate: args.fee } }),
      ...(args.slippageFixed === undefined
        ? { slippageBps: args.slippageBps }
        : { fill: { type: 'fixedPlusBps' as const, fixed: args.slippageFixed, bps: args.slippageBps } }),
      calendar: args.calendar,
      tick: args.latencyMs === undefined ? undefined : { latencyMs: args.latencyMs },
    },
  };
}

function oneLine(text: string): string {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .join('; ');
}

/**
 * Runs the backtest CLI and returns the exit code: 0 on success, 2 for bad arguments, files,
 * market data or strategy definitions (one line on `stderr`), 1 for anything unexpected.
 */
export function runCli(argv: string[], stdout: Sink = process.stdout, stderr: Sink = process.stderr): number {
  try {
    const args = parseBacktestArgs(argv);
    if (args.help) {
      stdout.write(USAGE);
      return 0;
    }
    const result = runBacktest(buildInput(args));
    const json = toResultJson(result);
    if (args.out !== undefined) {
      try {
        writeFileSync(args.out, `${json}\n`);
      } catch (error) {
        throw new InputError(`cannot write ${args.out}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
      }
    } else {
      stdout.write(`${json}\n`);
    }
    return 0;
  } catch (error) {
    if (error instanceof InputError || error instanceof EngineError) {
      stderr.write(`backtest: ${oneLine(error.message)}\n`);
      return 2;
    }
    stderr.write(
      `backtest: unexpected error: ${oneLine(error instanceof Error ? (error.stack ?? error.message) : String(error))}\n`,
    );
    return 1;
  }
}

if (require.main === module) {
  // A reader that stops early (`| head`) is not an error of the backtest.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
  process.exitCode = runCli(process.argv.slice(2));
}
