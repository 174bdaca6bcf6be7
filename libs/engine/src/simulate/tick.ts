import type { CandleSeries, SignalSet, TradeSeries } from '../types';
import { decide, type BarRun, type ProgressHook } from './core';
import { REASON_END, REASON_NONE, REASON_STOP_LOSS, REASON_TAKE_PROFIT, REASON_TRAILING_STOP, Ledger } from './ledger';
import type { SimParams } from './params';

/**
 * Tick precision: the base candles give the signals and the equity marks; fills happen on the
 * trade prints.
 *
 * - A market order decided at the close of bar i (time `t_i + timeframe`) may fill on prints at
 *   or after that time plus `latencyMs`. A reversal is two legs on the same prints: the close,
 *   then the open, sized with the cash after the close at the price of the print it starts on.
 * - Each print fills at most its own amount; the rest of the order continues on later prints
 *   (every extra print counts as a partial fill). A buy never spends more than the cash: the
 *   unaffordable rest of an opening buy is dropped.
 * - Price impact (square-root model): every fill of a leg of size Q pays
 *   `impact = k × σ × sqrt(Q / V)` (a fraction of the print price) against the trader, where σ is
 *   the realised volatility (root of the summed squared print-to-print returns) and V the traded
 *   amount of the prints in the `impactLookbackMs` before the print the order starts on. Both
 *   are measured over the same window, which makes the estimate independent of the window
 *   length for diffusive prices (it equals the daily-σ, daily-volume form of the law). For an
 *   opening leg Q is the size before impact (a slight overestimate, so the impact errs high).
 *   No data in the window (V = 0) means no impact.
 * - Stop-loss, take-profit and trailing stop trigger on the first print through the level after
 *   the entry has completely filled, and the exit starts on that very print at its price (a print
 *   far beyond the level is a gap). The trailing extreme follows each print after it was checked.
 *   Levels are not watched while a market order is pending or filling, and no new order is
 *   decided before the previous one is done.
 * - A position still open at the end, or the rest of an exit still filling, is closed at the last
 *   candle's close with reason `end`, stamped with that candle's close time.
 */
export function simulateTick(
  candles: CandleSeries,
  trades: TradeSeries,
  signals: SignalSet,
  p: SimParams,
  progress?: ProgressHook,
): BarRun {
  const { time, close, timeframeMs: tf } = candles;
  const { entryLong, exitLong, entryShort, exitShort } = signals;
  const pTime = trades.time;
  const pPrice = trades.price;
  const pAmount = trades.amount;
  const n = time.length;
  const m = pTime.length;
  const led = new Ledger(p);
  const equity = new Float64Array(n);
  const hasLevels = led.hasLevels;
  const latency = p.latencyMs;
  const lookback = p.impactLookbackMs;
  const k = p.impactCoefficient;
  const chunk = Math.max(1, Math.ceil(n / 16));
  let nextReport = chunk;

  // Rolling impact window: prints [ws, j) with time >= t_j - lookback.
  let ws = 0;
  let windowVolume = 0;
  let windowVariance = 0;

  // Order state. `closeReason` / `openSide` are the legs still to do.
  let orderActive = false;
  let orderFrom = 0;
  let orderStarted = false;
  let closeReason = REASON_NONE;
  let openSide = 0;
  let sigma = 0;
  let volume = 0;
  let legOpenStarted = false;
  let legRemaining = 0;
  let legImpact = 0;
  let armedAfter = -1;

  let barsInPosition = 0;
  let j = 0;
  for (let i = 0; i < n; i++) {
    const barEnd = time[i] + tf;
    let held = led.side !== 0;
    while (j < m && pTime[j] < barEnd) {
      const t = pTime[j];
      const px = pPrice[j];
      let avail = pAmount[j];

      const lim = t - lookback;
      while (ws < j && pTime[ws] < lim) {
        windowVolume -= pAmount[ws];
        if (ws + 1 < j) {
          const r = (pPrice[ws + 1] - pPrice[ws]) / pPrice[ws];
          windowVariance -= r * r;
        }
        ws++;
      }

      if (!orderActive && led.side !== 0 && hasLevels && j > armedAfter) {
        const dir = led.side;
        const pLS = dir * px;
        const mul = led.trailMul;
        const trail = mul > 0 ? led.extremeLS * mul : -Infinity;
        const stop = trail > led.stopLS ? trail : led.stopLS;
        if (pLS <= stop) {
          closeReason = trail > led.stopLS ? REASON_TRAILING_STOP : REASON_STOP_LOSS;
        } else if (pLS >= led.takeLS) {
          closeReason = REASON_TAKE_PROFIT;
        } else if (pLS > led.extremeLS) {
          led.extremeLS = pLS;
        }
        if (closeReason !== REASON_NONE) {
          orderActive = true;
          orderFrom = t;
          orderStarted = false;
          openSide = 0;
        }
      }

      if (orderActive && t >= orderFrom) {
        if (!orderStarted) {
          orderStarted = true;
          volume = windowVolume;
          sigma = Math.sqrt(windowVariance > 0 ? windowVariance : 0);
          if (closeReason !== REASON_NONE) {
            legRemaining = led.units;
            legImpact = impactOf(k, sigma, legRemaining, volume);
          }
          legOpenStarted = false;
        }
        while (avail > 0 && orderActive) {
          if (closeReason !== REASON_NONE) {
            const qty = legRemaining < avail ? legRemaining : avail;
            const fill = led.side > 0 ? px * (1 - legImpact) : px * (1 + legImpact);
            led.addExitFill(qty, px, fill);
            legRemaining -= qty;
            avail -= qty;
            if (legRemaining === 0) {
              led.finish(t, i, closeReason);
              closeReason = REASON_NONE;
              if (openSide === 0) orderActive = false;
            }
          } else {
            if (!legOpenStarted) {
              legOpenStarted = true;
              const rough = led.size(px);
              legImpact = impactOf(k, sigma, rough, volume);
              legRemaining = rough === 0 ? 0 : led.size(openSide > 0 ? px * (1 + legImpact) : px * (1 - legImpact));
              if (legRemaining === 0) {
                orderActive = false;
                break;
              }
              led.begin(openSide, t, i);
              held = true;
            }
            const fill = openSide > 0 ? px * (1 + legImpact) : px * (1 - legImpact);
            let qty = legRemaining < avail ? legRemaining : avail;
            if (openSide > 0) {
              const affordable = led.cash / (fill * (1 + p.feeRate));
              if (qty >= affordable) {
                qty = affordable > 0 ? affordable : 0;
                legRemaining = qty;
              }
            }
            if (qty > 0) {
              led.addEntryFill(qty, px, fill);
              legRemaining -= qty;
              avail -= qty;
            } else {
              legRemaining = 0;
            }
            if (legRemaining === 0) {
              orderActive = false;
              if (led.entryPrints === 0) led.side = 0;
              else {
                led.arm();
                armedAfter = j;
              }
            }
          }
        }
      }

      windowVolume += pAmount[j];
      if (j > ws) {
        const r = (px - pPrice[j - 1]) / pPrice[j - 1];
        windowVariance += r * r;
      }
      j++;
    }

    const side = led.side;
    if (held || side !== 0) {
      barsInPosition++;
    }
    equity[i] = led.cash + side * led.units * close[i];
    if (!orderActive) {
      const order = decide(p, side, i - led.entryBar + 1, entryLong[i], exitLong[i], entryShort[i], exitShort[i]);
      if (order !== 0) {
        closeReason = side !== 0 ? order & 7 : REASON_NONE;
        openSide = order >> 3 === 0 ? 0 : order >> 3 === 1 ? 1 : -1;
        orderActive = closeReason !== REASON_NONE || openSide !== 0;
        orderFrom = barEnd + latency;
        orderStarted = false;
      }
    }
    if (progress !== undefined && i + 1 === nextReport) {
      progress((i + 1) / n);
      nextReport += chunk;
    }
  }

  if (n > 0 && led.side !== 0) {
    const last = close[n - 1];
    led.addExitFill(led.units, last, last);
    led.finish(time[n - 1] + tf, n - 1, REASON_END);
    equity[n - 1] = led.cash;
  }
  return { trades: led.trades, equity, barsInPosition, finalEquity: n > 0 ? led.cash : p.initialCapital };
}

function impactOf(k: number, sigma: number, qty: number, volume: number): number {
  if (!(volume > 0) || !(qty > 0)) return 0;
  return k * sigma * Math.sqrt(qty / volume);
}
