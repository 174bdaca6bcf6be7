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
 *
 * The prints arrive in chunks (in time order, cut anywhere); the result does not depend on the
 * cut.
 */
export function simulateTickStream(
  candles: CandleSeries,
  chunks: Iterable<TradeSeries>,
  signals: SignalSet,
  p: SimParams,
  progress?: ProgressHook,
): BarRun {
  const run = new TickRun(candles, signals, p, progress);
  for (const chunk of chunks) run.push(chunk);
  return run.finish();
}

/** `simulateTickStream` on prints held whole: one chunk. */
export function simulateTick(
  candles: CandleSeries,
  trades: TradeSeries,
  signals: SignalSet,
  p: SimParams,
  progress?: ProgressHook,
): BarRun {
  return simulateTickStream(candles, [trades], signals, p, progress);
}

const NO_PRINTS = new Float64Array(0);

/**
 * The tick simulation as a resumable loop: `push` plays the prints of one chunk (and closes
 * every base bar they pass), `finish` closes the bars after the last print and the position.
 * Its state lives in fields between chunks and in locals within one, so the loop over a chunk's
 * prints is the same tight loop as over a whole array. The impact window needs the prints of
 * the last `impactLookbackMs`: the chunks that hold them are kept (`window`), no others, so
 * memory is bounded by the chunk size and the window, not by the number of prints.
 */
class TickRun {
  private readonly led: Ledger;
  private readonly equity: Float64Array;
  private readonly n: number;
  private readonly reportEvery: number;
  private nextReport: number;

  // The base bar being played and when it ends.
  private i = 0;
  private barEnd: number;
  private held = false;
  private barsInPosition = 0;

  // Rolling impact window: prints [ws, j) (global indices) with time >= t_j - lookback, held in
  // `window[wc..]` from index `wk` of `window[wc]`.
  private j = 0;
  private ws = 0;
  private readonly window: TradeSeries[] = [];
  private wc = 0;
  private wk = 0;
  private windowVolume = 0;
  private windowVariance = 0;
  private previousPrice = 0;

  // Order state. `closeReason` / `openSide` are the legs still to do.
  private orderActive = false;
  private orderFrom = 0;
  private orderStarted = false;
  private closeReason = REASON_NONE;
  private openSide = 0;
  private sigma = 0;
  private volume = 0;
  private legOpenStarted = false;
  private legRemaining = 0;
  private legImpact = 0;
  private armedAfter = -1;

  constructor(
    private readonly candles: CandleSeries,
    private readonly signals: SignalSet,
    private readonly p: SimParams,
    private readonly progress?: ProgressHook,
  ) {
    this.n = candles.time.length;
    this.led = new Ledger(p);
    this.equity = new Float64Array(this.n);
    this.reportEvery = Math.max(1, Math.ceil(this.n / 16));
    this.nextReport = this.reportEvery;
    this.barEnd = this.n > 0 ? candles.time[0] + candles.timeframeMs : Infinity;
  }

  push(chunk: TradeSeries): void {
    if (chunk.time.length === 0 || this.i >= this.n) return;
    this.window.push(chunk);
    this.play(chunk.time, chunk.price, chunk.amount, false);
    // Chunks the window has left are dropped.
    if (this.wc > 0) {
      this.window.splice(0, this.wc);
      this.wc = 0;
    }
  }

  finish(): BarRun {
    this.play(NO_PRINTS, NO_PRINTS, NO_PRINTS, true);
    const { led, equity, n } = this;
    const { close, time, timeframeMs: tf } = this.candles;
    if (n > 0 && led.side !== 0) {
      const last = close[n - 1];
      led.addExitFill(led.units, last, last, led.feeRate);
      led.finish(time[n - 1] + tf, n - 1, REASON_END);
      equity[n - 1] = led.cash;
    }
    return {
      trades: led.trades,
      equity,
      barsInPosition: this.barsInPosition,
      finalEquity: n > 0 ? led.cash : this.p.initialCapital,
    };
  }

  /**
   * Plays the prints `cT/cP/cA` of one chunk; a base bar is closed when a print at or after its
   * end arrives, or, when `last`, after the last print.
   */
  private play(cT: Float64Array, cP: Float64Array, cA: Float64Array, last: boolean): void {
    const { time, close, timeframeMs: tf } = this.candles;
    const { entryLong, exitLong, entryShort, exitShort } = this.signals;
    const p = this.p;
    const led = this.led;
    const equity = this.equity;
    const n = this.n;
    const progress = this.progress;
    const hasLevels = led.hasLevels;
    const latency = p.latencyMs;
    const lookback = p.impactLookbackMs;
    const k = p.impactCoefficient;
    const win = this.window;
    const len = cT.length;

    let i = this.i;
    let barEnd = this.barEnd;
    let held = this.held;
    let barsInPosition = this.barsInPosition;
    let nextReport = this.nextReport;
    let j = this.j;
    let ws = this.ws;
    let wc = this.wc;
    let wk = this.wk;
    let wT = wc < win.length ? win[wc].time : NO_PRINTS;
    let wP = wc < win.length ? win[wc].price : NO_PRINTS;
    let wA = wc < win.length ? win[wc].amount : NO_PRINTS;
    let windowVolume = this.windowVolume;
    let windowVariance = this.windowVariance;
    let previousPrice = this.previousPrice;
    let orderActive = this.orderActive;
    let orderFrom = this.orderFrom;
    let orderStarted = this.orderStarted;
    let closeReason = this.closeReason;
    let openSide = this.openSide;
    let sigma = this.sigma;
    let volume = this.volume;
    let legOpenStarted = this.legOpenStarted;
    let legRemaining = this.legRemaining;
    let legImpact = this.legImpact;
    let armedAfter = this.armedAfter;

    let q = 0;
    while (i < n) {
      while (q < len && cT[q] < barEnd) {
        const t = cT[q];
        const px = cP[q];
        let avail = cA[q];

        const lim = t - lookback;
        while (ws < j) {
          if (wk === wT.length) {
            const next = win[++wc];
            wT = next.time;
            wP = next.price;
            wA = next.amount;
            wk = 0;
          }
          if (!(wT[wk] < lim)) break;
          windowVolume -= wA[wk];
          if (ws + 1 < j) {
            const after = wk + 1 < wT.length ? wP[wk + 1] : win[wc + 1].price[0];
            const r = (after - wP[wk]) / wP[wk];
            windowVariance -= r * r;
          }
          ws++;
          wk++;
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
              led.addExitFill(qty, px, fill, closeReason === REASON_TAKE_PROFIT ? led.makerFeeRate : led.feeRate);
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

        windowVolume += cA[q];
        if (j > ws) {
          const r = (px - previousPrice) / previousPrice;
          windowVariance += r * r;
        }
        previousPrice = px;
        j++;
        q++;
      }
      // The chunk ran out inside bar i: later prints may still belong to it.
      if (q === len && !last) break;

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
        nextReport += this.reportEvery;
      }
      i++;
      if (i < n) {
        barEnd = time[i] + tf;
        held = led.side !== 0;
      }
    }

    this.i = i;
    this.barEnd = barEnd;
    this.held = held;
    this.barsInPosition = barsInPosition;
    this.nextReport = nextReport;
    this.j = j;
    this.ws = ws;
    this.wc = wc;
    this.wk = wk;
    this.windowVolume = windowVolume;
    this.windowVariance = windowVariance;
    this.previousPrice = previousPrice;
    this.orderActive = orderActive;
    this.orderFrom = orderFrom;
    this.orderStarted = orderStarted;
    this.closeReason = closeReason;
    this.openSide = openSide;
    this.sigma = sigma;
    this.volume = volume;
    this.legOpenStarted = legOpenStarted;
    this.legRemaining = legRemaining;
    this.legImpact = legImpact;
    this.armedAfter = armedAfter;
  }
}

function impactOf(k: number, sigma: number, qty: number, volume: number): number {
  if (!(volume > 0) || !(qty > 0)) return 0;
  return k * sigma * Math.sqrt(qty / volume);
}
