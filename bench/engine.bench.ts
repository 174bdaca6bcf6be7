import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  aggregateCandles,
  allocateCandles,
  candlesFromTrades,
  compileSignals,
  computeMetrics,
  downsampleEquity,
  periodsPerYear,
  resolveParams,
  runBacktest,
  simulateKline,
  validateCandles,
  type BacktestInput,
  type CandleSeries,
  type StrategyDefinition,
  type TradeSeries,
} from '@app/engine';
import { fingerprint } from '@app/engine/fingerprint';
import type { BenchLine } from './report';

const MINUTE = 60_000;
const START = Date.UTC(2024, 0, 1);

/** mulberry32: a small seeded PRNG, so every run benchmarks the same market. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random walk of 1-minute bars (about 0.1 % per bar), each bar opening at the previous close. */
export function syntheticBars(n: number, seed = 42): CandleSeries {
  const random = prng(seed);
  const s = allocateCandles(n, MINUTE);
  let price = 100;
  for (let i = 0; i < n; i++) {
    const o = price;
    const c = o * (1 + (random() - 0.5) * 0.002);
    s.time[i] = START + i * MINUTE;
    s.open[i] = o;
    s.close[i] = c;
    s.high[i] = Math.max(o, c) * (1 + random() * 0.001);
    s.low[i] = Math.min(o, c) * (1 - random() * 0.001);
    s.volume[i] = 1 + random() * 10;
    price = c;
  }
  return s;
}

/** Random-walk trade prints, `perSecond` a second on average, amounts 0.01–2 units. */
export function syntheticPrints(n: number, perSecond: number, seed = 7): TradeSeries {
  const random = prng(seed);
  const t: TradeSeries = {
    time: new Float64Array(n),
    price: new Float64Array(n),
    amount: new Float64Array(n),
    side: new Int8Array(n),
  };
  let time = START;
  let price = 100;
  const meanGap = 1000 / perSecond;
  for (let i = 0; i < n; i++) {
    time += Math.floor(random() * 2 * meanGap);
    price *= 1 + (random() - 0.5) * 0.0004;
    t.time[i] = time;
    t.price[i] = price;
    t.amount[i] = 0.01 + random() * 2;
    t.side[i] = random() < 0.5 ? 1 : -1;
  }
  return t;
}

const smaCross: StrategyDefinition = {
  version: 1,
  indicators: { fast: { type: 'sma', period: 10 }, slow: { type: 'sma', period: 30 } },
  entry: { long: { crossAbove: ['fast', 'slow'] } },
  exit: { long: { crossBelow: ['fast', 'slow'] } },
};

const smaCrossWithLevels: StrategyDefinition = {
  ...smaCross,
  risk: { stopLossPct: 1, takeProfitPct: 2, trailingStopPct: 0.8 },
};

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Median wall time in seconds over `runs` timed runs after `warmup` untimed ones. */
function time(fn: () => void, warmup: number, runs: number): number {
  for (let i = 0; i < warmup; i++) fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = process.hrtime.bigint();
    fn();
    samples.push(Number(process.hrtime.bigint() - started) / 1e9);
  }
  return median(samples);
}

const KLINE_BARS = 1_000_000;

function klineInput(candles: CandleSeries): BacktestInput {
  return { definition: smaCross, precision: 'kline', candles, settings: { initialCapital: 10_000 } };
}

/**
 * Memory of one 1M-bar kline run, measured in a fresh process so that nothing else the bench
 * did counts: peak RSS of the whole process (Node itself, the 48 MB of input, the run), and the
 * heap growth from just before the run to just after it (nothing collected in between is
 * reclaimed on purpose: the run is what allocated it).
 */
export function measureKlineMemory(): { peakRssMb: number; runRssMb: number; heapDeltaMb: number } {
  const candles = syntheticBars(KLINE_BARS);
  const before = process.memoryUsage();
  const result = runBacktest(klineInput(candles));
  const after = process.memoryUsage();
  if (result.metrics.tradeCount === 0) throw new Error('the benchmark strategy did not trade');
  return {
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    runRssMb: (after.rss - before.rss) / 2 ** 20,
    heapDeltaMb: (after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers) / 2 ** 20,
  };
}

function memoryInChild(): { peakRssMb: number; runRssMb: number; heapDeltaMb: number } {
  const code = `process.stdout.write(JSON.stringify(require(${JSON.stringify(__filename)}).measureKlineMemory()))`;
  const child = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8' });
  if (child.status !== 0) throw new Error(`memory probe failed: ${child.stderr}`);
  return JSON.parse(child.stdout) as { peakRssMb: number; runRssMb: number; heapDeltaMb: number };
}

/** Where the time of one 1M-bar kline run goes, phase by phase (median ms of timed runs). */
function klinePhases(candles: CandleSeries): BenchLine[] {
  const settings = { initialCapital: 10_000 };
  const params = resolveParams(smaCross, settings, 'kline');
  const signals = compileSignals(smaCross, candles);
  const run = simulateKline(candles, signals, params);
  const phases: [string, () => unknown][] = [
    ['input validation', () => validateCandles(candles)],
    ['signals (indicators + rules)', () => compileSignals(smaCross, candles)],
    ['simulation + equity curve', () => simulateKline(candles, signals, params)],
    [
      'metrics + downsampled curve',
      () => {
        computeMetrics({
          initialCapital: 10_000,
          equity: run.equity,
          time: candles.time,
          timeframeMs: candles.timeframeMs,
          firstClose: candles.close[0],
          lastClose: candles.close[candles.close.length - 1],
          trades: run.trades,
          barsInPosition: run.barsInPosition,
          periodsPerYear: periodsPerYear('crypto', candles.timeframeMs),
        });
        return downsampleEquity(candles.time, run.equity);
      },
    ],
    [
      'sha256 fingerprint (40 MB: the regular time column hashes as its first time)',
      () => fingerprint({ precision: 'kline', candles, definition: smaCross, settings }),
    ],
  ];
  return phases.map(([name, fn]) => ({
    name: `  kline 1M bars, phase: ${name}`,
    value: time(fn, 2, 7) * 1000,
    unit: 'ms',
  }));
}

/**
 * The 1M-bar kline run end to end, and the same runs without their sha256 fingerprint: each
 * sample times `runBacktest`, then `fingerprint` of the same input on its own right after, and
 * subtracts. Medians in seconds.
 */
function klineRunWithAndWithoutFingerprint(candles: CandleSeries): { full: number; withoutFingerprint: number } {
  const input = klineInput(candles);
  const parts = { precision: 'kline', candles, definition: smaCross, settings: input.settings };
  for (let i = 0; i < 3; i++) runBacktest(input);
  const full: number[] = [];
  const withoutFingerprint: number[] = [];
  for (let i = 0; i < 9; i++) {
    const started = process.hrtime.bigint();
    runBacktest(input);
    const ran = process.hrtime.bigint();
    fingerprint(parts);
    const hashed = process.hrtime.bigint();
    full.push(Number(ran - started) / 1e9);
    withoutFingerprint.push(Number(ran - started - (hashed - ran)) / 1e9);
  }
  return { full: median(full), withoutFingerprint: median(withoutFingerprint) };
}

/**
 * sha256 with node:crypto alone of the bytes the fingerprint hashes here (five input arrays and
 * the first time: the time column is regular): the floor under the fingerprint step.
 */
function sha256Only(candles: CandleSeries): string {
  const hash = createHash('sha256');
  for (const a of [
    candles.time.subarray(0, 1),
    candles.open,
    candles.high,
    candles.low,
    candles.close,
    candles.volume,
  ]) {
    hash.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  }
  return hash.digest('hex');
}

export async function engineBench(): Promise<BenchLine[]> {
  const lines: BenchLine[] = [];

  const bars = syntheticBars(KLINE_BARS);
  const kline = klineRunWithAndWithoutFingerprint(bars);
  const barsPerSecond = Math.round(KLINE_BARS / kline.full);
  lines.push({
    name: 'engine kline 1M 1m bars SMA(10/30) cross, runBacktest end to end (incl. sha256 fingerprint)',
    value: barsPerSecond,
    unit: 'bars/s',
    target: '>= 20,000,000 bars/s',
    ok: barsPerSecond >= 20_000_000,
  });
  lines.push({
    name: 'engine kline 1M bars, the same runs WITHOUT the sha256 fingerprint (fingerprint timed alone, subtracted)',
    value: Math.round(KLINE_BARS / kline.withoutFingerprint),
    unit: 'bars/s',
  });
  lines.push({
    name: '  sha256 alone over the same 40 MB (node:crypto, no engine code)',
    value: time(() => sha256Only(bars), 2, 7) * 1000,
    unit: 'ms',
  });
  lines.push(...klinePhases(bars));

  const memory = memoryInChild();
  lines.push({
    name: 'engine kline 1M bars peak RSS (whole process, incl. input)',
    value: Math.round(memory.peakRssMb),
    unit: 'MB',
    target: '< 300 MB',
    ok: memory.peakRssMb < 300,
  });
  lines.push({ name: 'engine kline 1M bars heap + buffers growth of the run', value: memory.heapDeltaMb, unit: 'MB' });

  const yearOfMinutes = syntheticBars(525_600, 11);
  const hourly = aggregateCandles(yearOfMinutes, 60 * MINUTE);
  const hybridSeconds = time(
    () =>
      runBacktest({
        definition: smaCrossWithLevels,
        precision: 'hybrid',
        candles: hourly,
        detail: [yearOfMinutes],
        settings: { initialCapital: 10_000 },
      }),
    3,
    7,
  );
  lines.push({
    name: 'engine hybrid 1h base + 1m detail, one year (525,600 bars)',
    value: hybridSeconds,
    unit: 's',
    target: '< 0.5 s',
    ok: hybridSeconds < 0.5,
  });

  const PRINTS = 5_000_000;
  const prints = syntheticPrints(PRINTS, 20);
  const tickSeconds = time(
    () =>
      runBacktest({
        definition: smaCrossWithLevels,
        precision: 'tick',
        candles: candlesFromTrades(prints, MINUTE),
        trades: prints,
        settings: { initialCapital: 10_000 },
      }),
    2,
    5,
  );
  const printsPerSecond = Math.round(PRINTS / tickSeconds);
  lines.push({
    name: 'engine tick 5M prints (1m bars built from them), SMA cross + levels',
    value: printsPerSecond,
    unit: 'prints/s',
    target: '>= 3,000,000 prints/s',
    ok: printsPerSecond >= 3_000_000,
  });
  return Promise.resolve(lines);
}
