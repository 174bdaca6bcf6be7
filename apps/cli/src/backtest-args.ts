import { parseArgs } from 'node:util';
import { DEFAULT_FEE_RATE, DEFAULT_LATENCY_MS, type Calendar, type Precision } from '@app/engine';
import { InputError } from './market-files';

export interface BacktestArgs {
  strategy: string;
  candles?: string;
  detail: string[];
  trades?: string;
  precision: Precision;
  timeframe?: string;
  capital: number;
  fee: number;
  /** Maker fee rate of take-profits (the maker/taker fee model, with `fee` as the taker rate). */
  makerFee?: number;
  slippageBps: number;
  /** Fixed price amount added to the slippage (the fixed-plus-bps fill model). */
  slippageFixed?: number;
  calendar: Calendar;
  latencyMs?: number;
  out?: string;
  help: boolean;
}

export const USAGE = `Usage: npm run backtest -- --strategy S.json --candles FILE [options]

  --strategy FILE        strategy definition (JSON)                        required
  --candles FILE         candles: CSV with a header, or JSON [[timeMs, o, h, l, c, v], ...]
  --detail FILE          hybrid: a finer candle series; repeat, coarsest first
                         (default: the --candles file itself when --timeframe aggregates it)
  --trades FILE          trade prints: JSON [[timeMs, id, orderId, side, price, amount, cost], ...]
                         or CSV with a header; tick fills on them, and without --candles
                         the candles are built from them at --timeframe
  --precision P          kline | hybrid | tick                              default kline
  --timeframe TF         aggregate the candles (or build them from the trades) to 1m, 1h, 1d, ...
  --capital N            initial capital in quote currency                  default 10000
  --fee F                fee rate per fill, fraction of notional            default ${DEFAULT_FEE_RATE}
  --maker-fee F          maker rate of take-profits (limit orders); --fee is then the taker rate
  --slippage-bps N       slippage in basis points (kline, hybrid)           default 0
  --slippage-fixed X     plus a fixed price amount per fill (kline, hybrid)
  --calendar C           crypto (365 days) | equity (252 sessions)          default crypto
  --latency-ms N         tick: signal-to-order latency                      default ${DEFAULT_LATENCY_MS}
  --out FILE             write the result JSON here instead of stdout
  --help                 this text

Exit codes: 0 done, 2 bad arguments, files or strategy, 1 anything else.
`;

function numberFlag(value: string | undefined, flag: string, fallback: number, ok: (x: number) => boolean): number {
  if (value === undefined) return fallback;
  const x = Number(value);
  if (value.trim() === '' || !Number.isFinite(x) || !ok(x)) throw new InputError(`${flag}: invalid value "${value}"`);
  return x;
}

/** Parses the command line; unknown flags, missing values and bad numbers are InputErrors. */
export function parseBacktestArgs(argv: string[]): BacktestArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        strategy: { type: 'string' },
        candles: { type: 'string' },
        detail: { type: 'string', multiple: true },
        trades: { type: 'string' },
        precision: { type: 'string' },
        timeframe: { type: 'string' },
        capital: { type: 'string' },
        fee: { type: 'string' },
        'maker-fee': { type: 'string' },
        'slippage-bps': { type: 'string' },
        'slippage-fixed': { type: 'string' },
        calendar: { type: 'string' },
        'latency-ms': { type: 'string' },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new InputError((error as Error).message);
  }
  const help = values.help === true;
  if (help)
    return {
      help,
      strategy: '',
      detail: [],
      precision: 'kline',
      capital: 0,
      fee: 0,
      slippageBps: 0,
      calendar: 'crypto',
    };
  if (values.strategy === undefined) throw new InputError('--strategy is required');
  const precision = (values.precision ?? 'kline') as Precision;
  if (!['kline', 'hybrid', 'tick'].includes(precision)) {
    throw new InputError(`--precision must be kline, hybrid or tick, got "${precision}"`);
  }
  const calendar = (values.calendar ?? 'crypto') as Calendar;
  if (!['crypto', 'equity'].includes(calendar))
    throw new InputError(`--calendar must be crypto or equity, got "${calendar}"`);
  if (values.candles === undefined && values.trades === undefined) {
    throw new InputError('--candles is required (or --trades with --timeframe to build candles from the prints)');
  }
  if (precision === 'tick' && values.trades === undefined) throw new InputError('--precision tick needs --trades');
  return {
    help,
    strategy: values.strategy,
    candles: values.candles,
    detail: values.detail ?? [],
    trades: values.trades,
    precision,
    timeframe: values.timeframe,
    capital: numberFlag(values.capital, '--capital', 10_000, (x) => x > 0),
    fee: numberFlag(values.fee, '--fee', DEFAULT_FEE_RATE, (x) => x >= 0 && x < 1),
    makerFee:
      values['maker-fee'] === undefined
        ? undefined
        : numberFlag(values['maker-fee'], '--maker-fee', 0, (x) => x > -1 && x < 1),
    slippageBps: numberFlag(values['slippage-bps'], '--slippage-bps', 0, (x) => x >= 0),
    slippageFixed:
      values['slippage-fixed'] === undefined
        ? undefined
        : numberFlag(values['slippage-fixed'], '--slippage-fixed', 0, (x) => x >= 0),
    calendar,
    latencyMs:
      values['latency-ms'] === undefined
        ? undefined
        : numberFlag(values['latency-ms'], '--latency-ms', DEFAULT_LATENCY_MS, (x) => x >= 0),
    out: values.out,
  };
}
