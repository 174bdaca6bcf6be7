import { EngineError, runBacktest, strategyTemplates } from '@app/engine';
import { EnginePool } from './engine-pool';

function candles(n: number) {
  const time = new Float64Array(n);
  const open = new Float64Array(n);
  const high = new Float64Array(n);
  const low = new Float64Array(n);
  const close = new Float64Array(n);
  const volume = new Float64Array(n);
  let price = 100;
  for (let i = 0; i < n; i++) {
    time[i] = 1_700_000_000_000 + i * 60_000;
    open[i] = price;
    price *= 1 + Math.sin(i / 7) * 0.004;
    close[i] = price;
    high[i] = Math.max(open[i], close[i]) * 1.002;
    low[i] = Math.min(open[i], close[i]) * 0.998;
    volume[i] = 1 + (i % 5);
  }
  return { time, open, high, low, close, volume, timeframeMs: 60_000 };
}

describe(EnginePool.name, () => {
  const pool = new EnginePool(1);
  afterAll(() => pool.close());
  const definition = strategyTemplates[0].definition;
  const settings = { initialCapital: 1_000, feeRate: 0.001 };

  it('gives the same result on a thread as a direct run', async () => {
    const direct = runBacktest({ definition, precision: 'kline', candles: candles(5_000), settings });
    const progress: number[] = [];
    const output = await pool.run({ definition, precision: 'kline', candles: candles(5_000), settings }, (p) =>
      progress.push(p),
    ).result;
    expect(output.fingerprint).toBe(direct.fingerprint);
    expect(output.metrics).toEqual(direct.metrics);
    expect(output.trades).toEqual(direct.trades);
    expect(Array.from(output.equityValue)).toEqual(Array.from(direct.equity.equity));
    expect(progress[0]).toBe(0);
    expect(progress).toContain(100);
  });

  it('stops a cancelled run with CANCELLED', async () => {
    const run = pool.run({ definition, precision: 'kline', candles: candles(200_000), settings }, () => run.cancel());
    await expect(run.result).rejects.toMatchObject({ code: 'CANCELLED' });
  });

  it('reports an invalid definition as the engine error it is', async () => {
    const run = pool.run({
      definition: { ...definition, indicators: { fast: { type: 'fsat' } } } as never,
      precision: 'kline',
      candles: candles(100),
      settings,
    });
    const error = await run.result.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineError);
    expect(error).toMatchObject({ code: 'INVALID_STRATEGY' });
  });
});
