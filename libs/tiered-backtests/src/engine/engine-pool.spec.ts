import {
  aggregateCandles,
  candlesFromTrades,
  EngineError,
  runBacktest,
  strategyTemplates,
  toResultJson,
  type TradeSeries,
} from '@app/engine';
import { candleChunksOf, tradeChunksOf } from '../run/series-chunk-source';
import { EnginePool } from './engine-pool';
import type { EngineOutput } from './engine-protocol';

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

/** A random-walk print every 0.5-1.5 s. */
function prints(n: number): TradeSeries {
  const trades = {
    time: new Float64Array(n),
    price: new Float64Array(n),
    amount: new Float64Array(n),
    side: new Int8Array(n),
  };
  let t = 1_700_000_000_000;
  let price = 100;
  for (let i = 0; i < n; i++) {
    t += 500 + ((i * 7919) % 1_000);
    price *= 1 + Math.sin(i / 13) * 0.001;
    trades.time[i] = t;
    trades.price[i] = price;
    trades.amount[i] = 0.1 + (i % 4) * 0.2;
    trades.side[i] = i % 2 === 0 ? 1 : -1;
  }
  return trades;
}

/** The output of a thread in the shape `toResultJson` gives a direct run, to compare byte for byte. */
function asResultJson(o: EngineOutput): string {
  return toResultJson({
    engineVersion: o.engineVersion,
    precision: o.precision,
    fingerprint: o.fingerprint,
    metrics: o.metrics,
    trades: o.trades,
    equity: { time: o.equityTime, equity: o.equityValue },
    equityDownsampled: { time: o.downsampledTime, equity: o.downsampledValue },
    ...(o.envelope ? { envelope: o.envelope } : {}),
    ...(o.detailCoverage ? { detailCoverage: o.detailCoverage } : {}),
  });
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

  describe('streaming', () => {
    const tick = strategyTemplates.find((t) => t.definition.risk?.stopLossPct !== undefined) ?? strategyTemplates[0];
    const tickSettings = { initialCapital: 1_000, feeRate: 0.001, tick: { latencyMs: 50 } };

    it('gives a tick run whose prints arrive in chunks the whole-array result, byte for byte', async () => {
      const trades = prints(20_000);
      const candles = candlesFromTrades(trades, 60_000);
      const input = { definition: tick.definition, precision: 'tick' as const, settings: tickSettings };
      const direct = toResultJson(runBacktest({ ...input, candles, trades }));
      const output = await pool.run({
        ...input,
        candles: candlesFromTrades(trades, 60_000),
        trades: tradeChunksOf(trades, 777),
      }).result;
      expect(asResultJson(output)).toBe(direct);
    });

    it('gives a hybrid run whose detail arrives in chunks the whole-array result, byte for byte', async () => {
      const minutes = candles(3_000);
      const input = { definition, precision: 'hybrid' as const, settings };
      const direct = runBacktest({ ...input, candles: aggregateCandles(minutes, 3_600_000), detail: [minutes] });
      const output = await pool.run({
        ...input,
        candles: aggregateCandles(minutes, 3_600_000),
        detail: [{ timeframeMs: 60_000, chunks: candleChunksOf(minutes, 100) }],
      }).result;
      expect(asResultJson(output)).toBe(toResultJson(direct));
    });

    it('reads a chunk from the source only when the thread has asked for the one before', async () => {
      const trades = prints(5_000);
      // A chunk sent to the thread has its buffers transferred: detached here.
      const yielded: TradeSeries[] = [];
      let mostUnsent = 0;
      async function* source() {
        for await (const view of tradeChunksOf(trades, 100)) {
          mostUnsent = Math.max(mostUnsent, yielded.filter((c) => c.time.byteLength > 0).length);
          const chunk = {
            time: view.time.slice(),
            price: view.price.slice(),
            amount: view.amount.slice(),
            side: view.side.slice(),
          };
          yielded.push(chunk);
          yield chunk;
        }
      }
      const candles = candlesFromTrades(trades, 60_000);
      const job = { definition: tick.definition, precision: 'tick' as const, candles, settings: tickSettings };
      await pool.run({ ...job, trades: source() }).result;
      expect(yielded).toHaveLength(50);
      expect(yielded.every((c) => c.time.byteLength === 0)).toBe(true);
      // Only the chunk read ahead waits in the pool when the source is asked for the next one.
      expect(mostUnsent).toBeLessThanOrEqual(1);
    });

    it('stops a run cancelled mid-stream with CANCELLED and releases the source', async () => {
      const trades = prints(50_000);
      let pulled = 0;
      let released = false;
      const control = { cancel: () => undefined as void };
      const run = pool.run({
        definition: tick.definition,
        precision: 'tick',
        candles: candlesFromTrades(trades, 60_000),
        trades: (async function* () {
          try {
            for await (const chunk of tradeChunksOf(trades, 500)) {
              if (++pulled === 20) control.cancel();
              yield chunk;
            }
          } finally {
            released = true;
          }
        })(),
        settings: tickSettings,
      });
      control.cancel = run.cancel;
      await expect(run.result).rejects.toMatchObject({ code: 'CANCELLED' });
      expect(pulled).toBeLessThan(100);
      await new Promise((resolve) => setImmediate(resolve));
      expect(released).toBe(true);
    });

    it('fails a run whose source fails with the error of the source', async () => {
      const trades = prints(5_000);
      const broken = new Error('connection lost');
      const run = pool.run({
        definition: tick.definition,
        precision: 'tick',
        candles: candlesFromTrades(trades, 60_000),
        trades: (async function* () {
          yield* tradeChunksOf(trades, 1_000);
          throw broken;
        })(),
        settings: tickSettings,
      });
      await expect(run.result).rejects.toBe(broken);
      // The thread is free for the next run.
      const next = await pool.run({ definition, precision: 'kline', candles: candles(100), settings }).result;
      expect(next.bars).toBe(100);
    });
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
