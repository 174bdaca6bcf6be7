import {
  createSearch,
  deflatedSharpeOfBest,
  enumerateGrid,
  probabilityOfBacktestOverfitting,
  SeededRandom,
  type ParamSpace,
} from '@app/research';
import type { BenchLine } from './report';

function timed<T>(f: () => T): { ms: number; value: T } {
  const started = process.hrtime.bigint();
  const value = f();
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, value };
}

/** Best of three runs: the figure a quiet machine gives. */
function best<T>(f: () => T): number {
  return Math.min(...[0, 1, 2].map(() => timed(f).ms));
}

/**
 * The research core on its own (no queue, no database): what CSCV costs at the default 16
 * partitions (12,870 combinations) on a year of hourly returns, the deflated Sharpe ratio, how
 * fast a 10⁹-point grid is refused, and TPE's own overhead per trial.
 */
export async function researchBench(): Promise<BenchLine[]> {
  const lines: BenchLine[] = [];
  const rng = new SeededRandom(1);
  const T = 8760;
  for (const N of [100, 1000]) {
    const flat = new Float64Array(T * N);
    for (let i = 0; i < flat.length; i++) flat[i] = 0.001 * rng.normal();
    const ms = best(() => probabilityOfBacktestOverfitting({ returns: flat, trials: N, partitions: 16 }));
    lines.push({
      name: `research PBO S=16 (12,870 combinations), ${T} bars × ${N} trials`,
      value: Math.round(ms),
      unit: 'ms',
    });
    if (N === 1000) {
      const sharpes = Array.from({ length: N }, () => 0.02 * rng.normal());
      const returns = flat.subarray(0, T);
      lines.push({
        name: `research DSR, ${T} returns, ${N} trials`,
        value: best(() => deflatedSharpeOfBest(returns, sharpes)),
        unit: 'ms',
      });
    }
  }
  const huge: ParamSpace = {
    a: { type: 'int', min: 1, max: 1000 },
    b: { type: 'int', min: 1, max: 1000 },
    c: { type: 'int', min: 1, max: 1000 },
  };
  const refusal = best(() => {
    try {
      enumerateGrid(huge, [], 50_000);
    } catch {
      /* refused, as intended */
    }
  });
  lines.push({ name: 'research refuse a 10^9-point grid', value: refusal, unit: 'ms' });
  const space: ParamSpace = {
    fast: { type: 'int', min: 2, max: 100 },
    slow: { type: 'int', min: 10, max: 300 },
    rsi: { type: 'decimal', min: 20, max: 40 },
  };
  const tpe = best(() => {
    const search = createSearch(space, [{ left: 'fast', op: '<', right: 'slow' }], {
      method: 'tpe',
      maxTrials: 1000,
      seed: 1,
    });
    for (;;) {
      const batch = search.ask(50);
      if (batch.length === 0) break;
      search.tell(
        batch.map((p) => ({
          params: p,
          score: -(((p.fast as number) - 20) ** 2) - ((p.slow as number) - 120) ** 2 / 10,
        })),
      );
    }
  });
  lines.push({ name: 'research TPE ask/tell, 1,000 trials in batches of 50', value: Math.round(tpe), unit: 'ms' });
  return Promise.resolve(lines);
}
