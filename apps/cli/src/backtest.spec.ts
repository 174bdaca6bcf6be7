import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './backtest';
import { fixturePath } from '@app/testing';

const dir = mkdtempSync(join(tmpdir(), 'backtest-cli-'));

function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

const strategy = file('sma.json', {
  version: 1,
  indicators: { fast: { type: 'sma', period: 3 }, slow: { type: 'sma', period: 8 } },
  entry: { long: { crossAbove: ['fast', 'slow'] }, short: { crossBelow: ['fast', 'slow'] } },
  risk: { stopLossPct: 1, takeProfitPct: 2, trailingStopPct: 0.5 },
  allowShort: true,
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(...argv: string[]): Run {
  let stdout = '';
  let stderr = '';
  const code = runCli(argv, { write: (t: string) => (stdout += t) }, { write: (t: string) => (stderr += t) });
  return { code, stdout, stderr };
}

interface ResultJson {
  precision: string;
  metrics: { tradeCount: number; finalEquity: number };
  trades: { partialFills: number }[];
  equity: { time: number[]; equity: number[] };
  envelope?: unknown;
  detailCoverage?: { ratio: number };
}

function ok(run: Run): ResultJson {
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout) as ResultJson;
}

function failsWith(run: Run, text: string): void {
  expect(run.code).toBe(2);
  expect(run.stdout).toBe('');
  expect(run.stderr).toContain(text);
  expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
}

describe('backtest CLI', () => {
  const btc = fixturePath('UNITTEST_BTC-1m.json');
  const xrp = fixturePath('XRP_ETH-trades.json');

  it('runs a kline backtest on a JSON candle file and prints the result', () => {
    const result = ok(cli('--strategy', strategy, '--candles', btc));
    expect(result.precision).toBe('kline');
    expect(result.equity.time).toHaveLength(13_681);
    expect(result.metrics.tradeCount).toBeGreaterThan(100);
    expect(result.envelope).toBeDefined();
  });

  it('runs a definition with params with their defaults', () => {
    const tunable = file('sma-params.json', {
      version: 1,
      params: {
        fast: { type: 'int', default: 3, min: 2, max: 10 },
        slow: { type: 'int', default: 8, min: 5, max: 50 },
        stop: { type: 'decimal', default: 1, min: 0.5, max: 3 },
      },
      constraints: [{ lt: [{ param: 'fast' }, { param: 'slow' }] }],
      indicators: {
        fast: { type: 'sma', period: { param: 'fast' } },
        slow: { type: 'sma', period: { param: 'slow' } },
      },
      entry: { long: { crossAbove: ['fast', 'slow'] }, short: { crossBelow: ['fast', 'slow'] } },
      risk: { stopLossPct: { param: 'stop' }, takeProfitPct: 2, trailingStopPct: 0.5 },
      allowShort: true,
    });
    const withParams = ok(cli('--strategy', tunable, '--candles', btc, '--timeframe', '1h'));
    expect(withParams.metrics).toEqual(ok(cli('--strategy', strategy, '--candles', btc, '--timeframe', '1h')).metrics);
  });

  it('aggregates the candles with --timeframe', () => {
    expect(ok(cli('--strategy', strategy, '--candles', btc, '--timeframe', '1h')).equity.time).toHaveLength(240);
  });

  it('runs hybrid on the aggregated candles with the file itself as detail', () => {
    const result = ok(cli('--strategy', strategy, '--candles', btc, '--timeframe', '1h', '--precision', 'hybrid'));
    expect(result.detailCoverage?.ratio).toBe(1);
  });

  it('runs hybrid with explicit detail files', () => {
    const hours = file(
      'btc-1h.json',
      JSON.parse(readFileSync(btc, 'utf8')).filter((r: number[]) => r[0] % 3_600_000 === 0),
    );
    const result = ok(cli('--strategy', strategy, '--candles', hours, '--detail', btc, '--precision', 'hybrid'));
    expect(result.detailCoverage).toBeDefined();
  });

  it('runs tick on the real prints with candles built from them', () => {
    const result = ok(
      cli(
        '--strategy',
        strategy,
        '--trades',
        xrp,
        '--timeframe',
        '1h',
        '--precision',
        'tick',
        '--capital',
        '1',
        '--latency-ms',
        '100',
      ),
    );
    expect(result.precision).toBe('tick');
    expect(result.equity.time).toHaveLength(60);
    expect(result.trades.some((t) => t.partialFills > 0)).toBe(true);
  });

  it('reads the CSV candle files of the fixtures', () => {
    expect(ok(cli('--strategy', strategy, '--candles', fixturePath('EURUSD-1h.csv'))).equity.time).toHaveLength(5000);
    expect(
      ok(cli('--strategy', strategy, '--candles', fixturePath('GOOG-1d.csv'), '--calendar', 'equity')).equity.time,
    ).toHaveLength(2148);
    expect(ok(cli('--strategy', strategy, '--candles', fixturePath('BTCUSD-1M.csv'))).equity.time).toHaveLength(156);
  });

  it('reads a CSV trade file and builds candles from it', () => {
    const result = ok(
      cli('--strategy', strategy, '--trades', fixturePath('ETH_USDT-trades-2023.csv'), '--timeframe', '1s'),
    );
    expect(result.equity.time.length).toBeGreaterThan(10);
    expect(result.equity.time[0]).toBe(Date.UTC(2023, 1, 2, 9, 20, 0));
  });

  it('writes the same JSON to --out as to stdout, and the same on every run', () => {
    const out = join(dir, 'result.json');
    const printed = cli('--strategy', strategy, '--candles', btc, '--fee', '0.002', '--slippage-bps', '5');
    expect(
      cli('--strategy', strategy, '--candles', btc, '--fee', '0.002', '--slippage-bps', '5', '--out', out),
    ).toEqual({
      code: 0,
      stdout: '',
      stderr: '',
    });
    expect(readFileSync(out, 'utf8')).toBe(printed.stdout);
    expect(cli('--strategy', strategy, '--candles', btc, '--fee', '0.002', '--slippage-bps', '5').stdout).toBe(
      printed.stdout,
    );
  });

  it('selects the maker/taker fee and fixed-plus-bps fill models with --maker-fee and --slippage-fixed', () => {
    const base = ['--strategy', strategy, '--candles', btc, '--fee', '0.001', '--slippage-bps', '2'];
    const legacy = ok(cli(...base));
    const sameModels = ok(cli(...base, '--maker-fee', '0.001', '--slippage-fixed', '0'));
    expect(sameModels).toEqual(legacy);
    const rebate = ok(cli(...base, '--maker-fee=-0.0002'));
    const tps = legacy.trades.filter((t) => (t as { exitReason?: string }).exitReason === 'takeProfit');
    expect(tps.length).toBeGreaterThan(0);
    expect(rebate.metrics.finalEquity).toBeGreaterThan(legacy.metrics.finalEquity);
    const fixed = ok(cli(...base, '--slippage-fixed', '5'));
    expect(fixed.metrics.finalEquity).toBeLessThan(legacy.metrics.finalEquity);
    failsWith(cli(...base, '--slippage-fixed=-1'), '--slippage-fixed: invalid value');
  });

  it('prints the usage with --help', () => {
    const run = cli('--help');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('--strategy FILE');
  });

  describe('exits with 2 and one line on stderr', () => {
    it.each([
      ['without --strategy', ['--candles', btc], '--strategy is required'],
      ['on an unknown flag', ['--strategy', strategy, '--candles', btc, '--speed', '9'], "Unknown option '--speed'"],
      ['on a bad number', ['--strategy', strategy, '--candles', btc, '--capital', 'lots'], '--capital: invalid value'],
      ['on an unknown precision', ['--strategy', strategy, '--candles', btc, '--precision', 'exact'], '--precision'],
      [
        'on a bad timeframe',
        ['--strategy', strategy, '--candles', btc, '--timeframe', '90x'],
        'invalid timeframe "90x"',
      ],
      [
        'on a timeframe finer than the data',
        ['--strategy', strategy, '--candles', btc, '--timeframe', '1s'],
        'cannot aggregate',
      ],
      ['on a missing file', ['--strategy', strategy, '--candles', join(dir, 'nope.csv')], 'cannot read'],
      ['for tick without trades', ['--strategy', strategy, '--candles', btc, '--precision', 'tick'], '--trades'],
      ['for hybrid without detail', ['--strategy', strategy, '--candles', btc, '--precision', 'hybrid'], '--detail'],
    ])('%s', (_name, argv, text) => failsWith(cli(...argv), text));

    it('on a strategy file that is not JSON', () => {
      failsWith(
        cli('--strategy', file('broken.json', '{ "version": 1,'), '--candles', btc),
        'broken.json: invalid JSON',
      );
    });

    it('on an invalid strategy definition, with the path of the problem', () => {
      const bad = file('bad.json', { version: 1, indicators: {}, entry: { long: { crossAbove: ['fsat', 'close'] } } });
      failsWith(cli('--strategy', bad, '--candles', btc), 'entry.long.crossAbove[0]');
    });

    it('on a candle that is not a number, with its line', () => {
      const csv = file('bad.csv', 'time,open,high,low,close,volume\n1,1,2,0.5,1,1\n2,1,x,0.5,1,1\n');
      failsWith(cli('--strategy', strategy, '--candles', csv), 'bad.csv line 3: high "x" is not a number');
    });

    it('on candles out of order', () => {
      const csv = file(
        'unsorted.csv',
        'date,open,high,low,close\n2020-01-02,1,2,0.5,1\n2020-01-01,1,2,0.5,1\n2020-01-03,1,2,0.5,1\n',
      );
      failsWith(cli('--strategy', strategy, '--candles', csv), 'unsorted.csv: candle 2 is not later');
    });

    it('on a candle with high below low', () => {
      const csv = file(
        'hl.csv',
        'date,open,high,low,close\n2020-01-01,1,2,0.5,1\n2020-01-02,1,0.9,1.1,1\n2020-01-03,1,2,0.5,1\n',
      );
      failsWith(
        cli('--strategy', strategy, '--candles', csv),
        'hl.csv[1] (2020-01-02T00:00:00.000Z): high 0.9 < low 1.1',
      );
    });

    it('on a CSV without an open column', () => {
      failsWith(
        cli('--strategy', strategy, '--candles', file('cols.csv', 'time,o,h,l,c\n1,1,1,1,1\n')),
        'no open column',
      );
    });
  });
});
