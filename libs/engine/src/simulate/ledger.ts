import type { ExitReason, Trade, TradeSide } from '../types';
import { SIZING_FIXED_QUOTE, SIZING_FIXED_UNITS, type SimParams } from './params';

export const REASON_NONE = 0;
export const REASON_SIGNAL = 1;
export const REASON_STOP_LOSS = 2;
export const REASON_TAKE_PROFIT = 3;
export const REASON_TRAILING_STOP = 4;
export const REASON_MAX_BARS = 5;
export const REASON_END = 6;

const REASONS: readonly ExitReason[] = ['end', 'signal', 'stopLoss', 'takeProfit', 'trailingStop', 'maxBars', 'end'];

/**
 * A closed trade, its properties assigned in the order of `Trade` (the order of its JSON). Built
 * by a constructor rather than an object literal because V8 pretenures a literal's objects once
 * most of them survive a young-generation collection, as every trade does until the run ends:
 * each run's trades then went straight to the old generation and cost a full mark-compact.
 */
class TradeRecord implements Trade {
  constructor(
    public side: TradeSide,
    public entryTime: number,
    public entryPrice: number,
    public exitTime: number,
    public exitPrice: number,
    public entryBar: number,
    public exitBar: number,
    public units: number,
    public pnl: number,
    public pnlPct: number,
    public fees: number,
    public slippage: number,
    public exitReason: ExitReason,
    public ambiguous: boolean,
    public partialFills: number,
  ) {}
}

/**
 * Cash, the open position and the closed trades. One position at a time (leverage 1): a long
 * pays `units × price + fee` in cash, a short receives `units × price − fee`; equity is
 * `cash + side × units × price`. Fills may arrive in pieces (tick precision); kline and hybrid
 * use the single-fill `enter` / `exit`.
 *
 * The risk levels are kept in "long space": prices multiplied by the side (+1/−1), so one
 * intrabar routine serves both sides (a short's stop above becomes a stop below).
 */
export class Ledger {
  cash: number;
  /** +1 long, −1 short, 0 flat. */
  side = 0;
  /** Units currently held. */
  units = 0;

  entryTime = 0;
  entryBar = 0;
  entryPrice = 0;
  entryUnits = 0;
  entryNotional = 0;
  entryFees = 0;
  entrySlippage = 0;
  entryPrints = 0;
  exitPrice = 0;
  exitUnits = 0;
  exitNotional = 0;
  exitFees = 0;
  exitSlippage = 0;
  exitPrints = 0;
  ambiguous = false;

  /** Whether any of stop-loss, take-profit or trailing stop is set. */
  readonly hasLevels: boolean;
  stopLS = -Infinity;
  takeLS = Infinity;
  /** Multiplier from the favourable extreme to the trailing level (long space); 0 = no trailing stop. */
  trailMul = 0;
  extremeLS = -Infinity;

  readonly trades: Trade[] = [];
  /** Fee rate of fills that take liquidity; `makerFeeRate` of take-profits. */
  readonly feeRate: number;
  readonly makerFeeRate: number;
  private readonly slippage: number;
  private readonly slippageFixed: number;

  constructor(private readonly p: SimParams) {
    this.cash = p.initialCapital;
    this.feeRate = p.feeRate;
    this.makerFeeRate = p.makerFeeRate;
    this.slippage = p.slippage;
    this.slippageFixed = p.slippageFixed;
    this.hasLevels = p.stopLoss > 0 || p.takeProfit > 0 || p.trailingStop > 0;
  }

  equity(mark: number): number {
    return this.cash + this.side * this.units * mark;
  }

  /**
   * Units a new position may take at `fillPrice` with the current cash (the ledger is flat, so
   * cash is the equity after any close in the same fill). Never more than the cash can pay for
   * including the fee; 0 when nothing can be bought.
   */
  size(fillPrice: number): number {
    const p = this.p;
    const perUnit = fillPrice * (1 + this.feeRate);
    const cash = this.cash;
    if (!(cash > 0)) return 0;
    let units: number;
    if (p.sizingKind === SIZING_FIXED_UNITS) {
      const affordable = cash / perUnit;
      units = p.sizingValue < affordable ? p.sizingValue : affordable;
    } else {
      const quote = p.sizingKind === SIZING_FIXED_QUOTE ? Math.min(p.sizingValue, cash) : p.sizingValue * cash;
      units = quote / perUnit;
      if (p.wholeUnits) units = Math.floor(units);
    }
    return units > 0 ? units : 0;
  }

  /** The fee rate of an exit for `reason`: a take-profit rests as a limit order (maker), the rest take. */
  exitFeeRate(reason: number): number {
    return reason === REASON_TAKE_PROFIT ? this.makerFeeRate : this.feeRate;
  }

  /**
   * Market entry at a raw price (slippage against the trader). Returns false when sizing gives 0
   * units, or when a fixed slippage leaves a short nothing to sell at.
   */
  enter(side: number, rawPrice: number, time: number, bar: number): boolean {
    const fill =
      side > 0
        ? rawPrice * (1 + this.slippage) + this.slippageFixed
        : rawPrice * (1 - this.slippage) - this.slippageFixed;
    if (!(fill > 0)) return false;
    const units = this.size(fill);
    if (units === 0) return false;
    this.begin(side, time, bar);
    this.addEntryFill(units, rawPrice, fill);
    this.arm();
    return true;
  }

  /** Closes the whole position at a raw price, with slippage against the trader unless `slip` is false. */
  exit(rawPrice: number, time: number, bar: number, reason: number, slip: boolean): void {
    const s = slip ? this.slippage : 0;
    const fixed = slip ? this.slippageFixed : 0;
    // A sell never fills below 0, however large the fixed part.
    const fill = this.side > 0 ? Math.max(0, rawPrice * (1 - s) - fixed) : rawPrice * (1 + s) + fixed;
    this.addExitFill(this.units, rawPrice, fill, this.exitFeeRate(reason));
    this.finish(time, bar, reason);
  }

  begin(side: number, time: number, bar: number): void {
    this.side = side;
    this.units = 0;
    this.entryTime = time;
    this.entryBar = bar;
    this.entryPrice = 0;
    this.entryUnits = 0;
    this.entryNotional = 0;
    this.entryFees = 0;
    this.entrySlippage = 0;
    this.entryPrints = 0;
    this.exitPrice = 0;
    this.exitUnits = 0;
    this.exitNotional = 0;
    this.exitFees = 0;
    this.exitSlippage = 0;
    this.exitPrints = 0;
    this.ambiguous = false;
  }

  addEntryFill(qty: number, rawPrice: number, fillPrice: number): void {
    const notional = qty * fillPrice;
    const fee = notional * this.feeRate;
    this.cash -= this.side * notional + fee;
    this.units += qty;
    this.entryUnits += qty;
    this.entryNotional += notional;
    this.entryPrice = this.entryPrints === 0 ? fillPrice : this.entryNotional / this.entryUnits;
    this.entryFees += fee;
    this.entrySlippage += qty * Math.abs(fillPrice - rawPrice);
    this.entryPrints++;
  }

  addExitFill(qty: number, rawPrice: number, fillPrice: number, feeRate: number): void {
    const notional = qty * fillPrice;
    const fee = notional * feeRate;
    this.cash += this.side * notional - fee;
    this.units -= qty;
    this.exitUnits += qty;
    this.exitNotional += notional;
    this.exitPrice = this.exitPrints === 0 ? fillPrice : this.exitNotional / this.exitUnits;
    this.exitFees += fee;
    this.exitSlippage += qty * Math.abs(fillPrice - rawPrice);
    this.exitPrints++;
  }

  /** Sets stop, take-profit and trailing levels from the (average) entry price. */
  arm(): void {
    const p = this.p;
    const dir = this.side;
    const entry = this.entryPrice;
    this.stopLS = p.stopLoss > 0 ? dir * entry * (1 - dir * p.stopLoss) : -Infinity;
    this.takeLS = p.takeProfit > 0 ? dir * entry * (1 + dir * p.takeProfit) : Infinity;
    this.trailMul = p.trailingStop > 0 ? 1 - dir * p.trailingStop : 0;
    this.extremeLS = dir * entry;
  }

  /** Records the trade and goes flat. */
  finish(time: number, bar: number, reason: number): void {
    const side = this.side;
    const units = this.entryUnits;
    const fees = this.entryFees + this.exitFees;
    const pnl = side * (this.exitNotional - this.entryNotional) - fees;
    this.trades.push(
      new TradeRecord(
        side > 0 ? 'long' : 'short',
        this.entryTime,
        this.entryPrice,
        time,
        this.exitPrice,
        this.entryBar,
        bar,
        units,
        pnl,
        (pnl / this.entryNotional) * 100,
        fees,
        this.entrySlippage + this.exitSlippage,
        REASONS[reason],
        this.ambiguous,
        Math.max(0, this.entryPrints - 1) + Math.max(0, this.exitPrints - 1),
      ),
    );
    this.side = 0;
    this.units = 0;
  }
}
