import { REASON_NONE, REASON_STOP_LOSS, REASON_TAKE_PROFIT, REASON_TRAILING_STOP, type Ledger } from './ledger';

/** What happened to the open position inside one bar under one assumed price path. */
export class BarOutcome {
  reason = REASON_NONE;
  /** Exit price before slippage (absolute, not long space). */
  price = 0;
  /** Favourable extreme after the bar (long space), when there was no exit. */
  extremeLS = 0;
  /** The exit was at the bar's open because the open was already beyond the level. */
  gap = false;

  copyFrom(other: BarOutcome): void {
    this.reason = other.reason;
    this.price = other.price;
    this.extremeLS = other.extremeLS;
    this.gap = other.gap;
  }

  sameExit(other: BarOutcome): boolean {
    return this.reason === other.reason && (this.reason === REASON_NONE || this.price === other.price);
  }
}

/**
 * Walks the straight-line path o → a → b → c in long space (prices × side) and stops at the
 * first level the path touches:
 * - at `o`: a stop at or above the open, or a take-profit at or below it, fills at the open (gap);
 * - on a rising segment the take-profit fills at its level, and the favourable extreme (hence
 *   the trailing level) follows the price up;
 * - on a falling segment the stop in force (the tighter of stop-loss and trailing level, from
 *   the extreme reached so far) fills at its level.
 * Levels are always crossed inside the segment, so fills lie within the bar's [low, high].
 */
function walk(led: Ledger, o: number, a: number, b: number, c: number, out: BarOutcome): number {
  const dir = led.side;
  const stop = led.stopLS;
  const take = led.takeLS;
  const mul = led.trailMul;
  let extreme = led.extremeLS;
  out.gap = false;

  let trail = mul > 0 ? extreme * mul : -Infinity;
  let level = trail > stop ? trail : stop;
  if (o <= level) return exitAt(out, dir, o, trail > stop ? REASON_TRAILING_STOP : REASON_STOP_LOSS, true);
  if (o >= take) return exitAt(out, dir, o, REASON_TAKE_PROFIT, true);
  if (o > extreme) extreme = o;

  let from = o;
  for (let k = 0; k < 3; k++) {
    const to = k === 0 ? a : k === 1 ? b : c;
    if (to > from) {
      if (to >= take) return exitAt(out, dir, take, REASON_TAKE_PROFIT, false);
      if (to > extreme) extreme = to;
    } else if (to < from) {
      trail = mul > 0 ? extreme * mul : -Infinity;
      level = trail > stop ? trail : stop;
      if (to <= level) return exitAt(out, dir, level, trail > stop ? REASON_TRAILING_STOP : REASON_STOP_LOSS, false);
    }
    from = to;
  }
  out.reason = REASON_NONE;
  out.extremeLS = extreme;
  return REASON_NONE;
}

function exitAt(out: BarOutcome, dir: number, priceLS: number, reason: number, gap: boolean): number {
  out.reason = reason;
  out.price = dir * priceLS;
  out.gap = gap;
  return reason;
}

/**
 * The adverse extreme first: open → low → high → close for a long, open → high → low → close
 * for a short. This is the kline rule: the worse of stop and take-profit comes first, and a
 * trailing stop is checked against the level in force before the bar's favourable extreme
 * raises it (the close is then checked against the raised level).
 */
export function walkAdverseFirst(led: Ledger, o: number, h: number, l: number, c: number, out: BarOutcome): number {
  return led.side > 0 ? walk(led, o, l, h, c, out) : walk(led, -o, -h, -l, -c, out);
}

/** The favourable extreme first: open → high → low → close for a long. */
export function walkFavourableFirst(led: Ledger, o: number, h: number, l: number, c: number, out: BarOutcome): number {
  return led.side > 0 ? walk(led, o, h, l, c, out) : walk(led, -o, -l, -h, -c, out);
}

/**
 * The adaptive rule: the extreme nearer the open is reached first; on a tie the adverse one.
 */
export function walkNearestFirst(led: Ledger, o: number, h: number, l: number, c: number, out: BarOutcome): number {
  const favourableNearer = led.side > 0 ? h - o < o - l : o - l < h - o;
  return favourableNearer ? walkFavourableFirst(led, o, h, l, c, out) : walkAdverseFirst(led, o, h, l, c, out);
}

/**
 * Whether an adverse-first outcome hides a take-profit that was also in the bar's range: the
 * stop triggered inside the bar (not at a gap) and the favourable extreme reached the
 * take-profit level. Then the order of the two inside the bar decides the trade.
 */
export function stopAndTakeInRange(led: Ledger, h: number, l: number, adverse: BarOutcome): boolean {
  if (adverse.gap || (adverse.reason !== REASON_STOP_LOSS && adverse.reason !== REASON_TRAILING_STOP)) return false;
  const highLS = led.side > 0 ? h : -l;
  return highLS >= led.takeLS;
}
