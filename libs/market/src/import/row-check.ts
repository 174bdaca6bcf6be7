import { formatTimeframe, inferTimeframe, parseTime } from '@app/engine';
import { Decimal, parseDecimal } from '../store/chunk-codec';
import type { PendingCandle, PendingTrade } from '../store/chunk-merge';
import { cleanId } from '../store/market-ingest.service';
import { DECIMAL, type RowBatch } from './formats';

/** At most this many rejected rows and gaps are kept in an import's summary (all are counted). */
export const KEPT_DETAILS = 200;

export interface Rejection {
  /** CSV line number, or element number in a JSON array. */
  line: number;
  reason: string;
}

export interface ImportGap {
  /** Open time of the first missing bar (ISO 8601). */
  from: string;
  /** Open time of the last missing bar. */
  to: string;
  missingBars: number;
}

export interface ImportTally {
  rowsRead: number;
  accepted: number;
  rejected: number;
  rejections: Rejection[];
  gaps: number;
  missingBars: number;
  gapList: ImportGap[];
  firstTime: number | null;
  lastTime: number | null;
  /** Most decimals seen in prices and amounts (instrument precision). */
  priceDecimals: number;
  amountDecimals: number;
}

const newTally = (): ImportTally => ({
  rowsRead: 0,
  accepted: 0,
  rejected: 0,
  rejections: [],
  gaps: 0,
  missingBars: 0,
  gapList: [],
  firstTime: null,
  lastTime: null,
  priceDecimals: 0,
  amountDecimals: 0,
});

function decimals(text: string): number {
  const dot = text.indexOf('.');
  if (dot < 0 || /e/i.test(text)) return 0;
  let end = text.length;
  while (end > dot + 1 && text.charCodeAt(end - 1) === 48) end--;
  return Math.min(30, end - dot - 1);
}

/** Epoch ms of a time cell: ms or s numbers (µs for Binance files since 2025), or ISO 8601. */
function timeOf(cell: string): number {
  const t = parseTime(cell);
  if (t > 1e14 && t < 1e17) return Math.floor(t / 1000); // microseconds
  return t;
}

/** The value of a decimal cell in a form PostgreSQL's numeric also reads (no hex, no Infinity); NaN otherwise. */
function amountOf(cell: string): number {
  return DECIMAL.test(cell) ? Number(cell) : NaN;
}

/**
 * Checks imported rows one by one and turns the good ones into COPY stage lines. Rejects rows
 * with unparsable fields, non-positive prices, high < low, open or close outside the bar's range,
 * a time not after the previous accepted row (candles; trades may share a millisecond but not go
 * back), and bars not aligned to the timeframe. Counts gaps between consecutive candles.
 */
export class CandleRowCheck {
  readonly tally = newTally();
  private previous = -Infinity;
  /** Rows held back until the timeframe is known (inferred from the first rows when not given). */
  private held: RowBatch | null = null;

  constructor(public timeframeMs: number | null) {}

  /** Passes the batch's good rows to `emit` (none while the timeframe is still being inferred). */
  check(batch: RowBatch, emit: (row: PendingCandle) => void): void {
    if (this.timeframeMs === null) {
      this.timeframeMs = this.fromBinanceCloseTime(batch) ?? null;
      if (this.timeframeMs === null) {
        this.hold(batch);
        if ((this.held?.rows.length ?? 0) >= 1_000) this.flush(emit);
        return;
      }
    }
    this.lines(batch, emit);
  }

  /** Whatever is still held back (end of file). */
  flush(emit: (row: PendingCandle) => void): void {
    const held = this.held;
    this.held = null;
    if (!held) return;
    if (this.timeframeMs === null) {
      const times = held.rows.map((r) => (r.length ? timeOf(r[0]) : NaN)).filter((t) => Number.isFinite(t));
      try {
        this.timeframeMs = inferTimeframe(times);
      } catch {
        this.timeframeMs = 0;
      }
    }
    this.lines(held, emit);
  }

  private hold(batch: RowBatch): void {
    if (!this.held) this.held = { lines: [], rows: [], bytesRead: 0 };
    this.held.lines.push(...batch.lines);
    this.held.rows.push(...batch.rows);
  }

  private fromBinanceCloseTime(batch: RowBatch): number | undefined {
    const row = batch.rows.find((r) => r.length === 7 && r[6] !== '');
    if (!row) return undefined;
    const open = timeOf(row[0]);
    const close = timeOf(row[6]);
    const tf = close + 1 - open;
    return Number.isFinite(tf) && tf >= 1000 ? tf : undefined;
  }

  private lines(batch: RowBatch, emit: (row: PendingCandle) => void): void {
    const tf = this.timeframeMs ?? 0;
    const tally = this.tally;
    for (let k = 0; k < batch.rows.length; k++) {
      const r = batch.rows[k];
      const line = batch.lines[k];
      tally.rowsRead++;
      if (r.length === 0) {
        this.reject(line, 'too few columns');
        continue;
      }
      const t = timeOf(r[0]);
      const o = amountOf(r[1]);
      const h = amountOf(r[2]);
      const l = amountOf(r[3]);
      const c = amountOf(r[4]);
      const v = amountOf(r[5]);
      if (!Number.isSafeInteger(t)) {
        this.reject(line, `cannot read the time "${r[0]}"`);
        continue;
      }
      const bad = (
        [
          ['open', o, r[1]],
          ['high', h, r[2]],
          ['low', l, r[3]],
          ['close', c, r[4]],
        ] as const
      ).find(([, x]) => !Number.isFinite(x));
      if (bad) {
        this.reject(line, `${bad[0]} "${bad[2]}" is not a number`);
        continue;
      }
      if (!Number.isFinite(v)) {
        this.reject(line, `volume "${r[5]}" is not a number`);
        continue;
      }
      if (!(o > 0 && h > 0 && l > 0 && c > 0)) {
        this.reject(line, `prices must be positive (open ${r[1]}, high ${r[2]}, low ${r[3]}, close ${r[4]})`);
        continue;
      }
      if (h < l) {
        this.reject(line, `high ${r[2]} is below low ${r[3]}`);
        continue;
      }
      if (o < l || o > h || c < l || c > h) {
        this.reject(line, `open ${r[1]} and close ${r[4]} must lie between low ${r[3]} and high ${r[2]}`);
        continue;
      }
      if (v < 0) {
        this.reject(line, `volume ${r[5]} is negative`);
        continue;
      }
      const exact = exactCells(r, ['open', 'high', 'low', 'close', 'volume'], 1);
      if (typeof exact === 'string') {
        this.reject(line, exact);
        continue;
      }
      if (tf > 0 && t % tf !== 0) {
        this.reject(line, `open time ${new Date(t).toISOString()} is not aligned to ${formatTimeframe(tf)} bars`);
        continue;
      }
      if (!(t > this.previous)) {
        this.reject(
          line,
          t === this.previous
            ? `duplicate time ${new Date(t).toISOString()}`
            : `time ${new Date(t).toISOString()} is before the previous row's (${new Date(this.previous).toISOString()})`,
        );
        continue;
      }
      if (tf > 0 && this.previous !== -Infinity && t - this.previous > tf) {
        const missing = (t - this.previous) / tf - 1;
        tally.gaps++;
        tally.missingBars += missing;
        if (tally.gapList.length < KEPT_DETAILS) {
          tally.gapList.push({
            from: new Date(this.previous + tf).toISOString(),
            to: new Date(t - tf).toISOString(),
            missingBars: missing,
          });
        }
      }
      this.previous = t;
      tally.accepted++;
      tally.firstTime ??= t;
      tally.lastTime = t;
      const pd = Math.max(decimals(r[1]), decimals(r[2]), decimals(r[3]), decimals(r[4]));
      if (pd > tally.priceDecimals) tally.priceDecimals = pd;
      const vd = decimals(r[5]);
      if (vd > tally.amountDecimals) tally.amountDecimals = vd;
      emit({ line, t, o: exact[0], h: exact[1], l: exact[2], c: exact[3], v: exact[4] });
    }
  }

  private reject(line: number, reason: string): void {
    reject(this.tally, line, reason);
  }
}

/**
 * The cells from `first` on as exact decimals, or the reason one cannot be stored exactly
 * (more than 15 significant digits): refused, never rounded.
 */
function exactCells(cells: string[], names: string[], first: number): Decimal[] | string {
  const out: Decimal[] = [];
  for (let k = 0; k < names.length; k++) {
    const d = parseDecimal(cells[first + k]);
    if (!d)
      return `${names[k]} ${cells[first + k]} has more than 15 significant digits: it cannot be stored without rounding`;
    out.push(d);
  }
  return out;
}

/** Takes back an accepted row that the store refused when merging it (a scale that does not fit, a clashing trade id). */
export function unaccept(tally: ImportTally, line: number, reason: string): void {
  tally.accepted--;
  reject(tally, line, reason);
}

function reject(tally: ImportTally, line: number, reason: string): void {
  tally.rejected++;
  if (tally.rejections.length < KEPT_DETAILS) tally.rejections.push({ line, reason });
}

const SIDES: Record<string, number> = { buy: 1, b: 1, bid: 1, '1': 1, sell: -1, s: -1, ask: -1, '-1': -1, '': 0 };

/** The trade counterpart of `CandleRowCheck`; rows without an id get one from their time and order. */
export class TradeRowCheck {
  readonly tally = newTally();
  private previous = -Infinity;
  private sameTime = 0;

  check(batch: RowBatch, emit: (row: PendingTrade) => void): void {
    const tally = this.tally;
    for (let k = 0; k < batch.rows.length; k++) {
      const r = batch.rows[k];
      const line = batch.lines[k];
      tally.rowsRead++;
      if (r.length === 0) {
        reject(tally, line, 'too few columns');
        continue;
      }
      const [timeCell, idCell, sideCell, priceCell, amountCell] = r;
      const t = timeOf(timeCell);
      if (!Number.isSafeInteger(t)) {
        reject(tally, line, `cannot read the time "${timeCell}"`);
        continue;
      }
      const price = amountOf(priceCell);
      const amount = amountOf(amountCell);
      if (!Number.isFinite(price)) {
        reject(tally, line, `price "${priceCell}" is not a number`);
        continue;
      }
      if (!Number.isFinite(amount)) {
        reject(tally, line, `amount "${amountCell}" is not a number`);
        continue;
      }
      if (!(price > 0) || !(amount > 0)) {
        reject(tally, line, `price and amount must be positive (price ${priceCell}, amount ${amountCell})`);
        continue;
      }
      const exact = exactCells([priceCell, amountCell], ['price', 'amount'], 0);
      if (typeof exact === 'string') {
        reject(tally, line, exact);
        continue;
      }
      const side = SIDES[sideCell.toLowerCase()];
      if (side === undefined) {
        reject(tally, line, `side "${sideCell}" is neither buy nor sell`);
        continue;
      }
      if (t < this.previous) {
        reject(
          tally,
          line,
          `time ${new Date(t).toISOString()} is before the previous row's (${new Date(this.previous).toISOString()})`,
        );
        continue;
      }
      this.sameTime = t === this.previous ? this.sameTime + 1 : 0;
      this.previous = t;
      const id = idCell !== '' ? cleanId(idCell) : `t${t}-${this.sameTime}`;
      tally.accepted++;
      tally.firstTime ??= t;
      tally.lastTime = t;
      const pd = decimals(priceCell);
      if (pd > tally.priceDecimals) tally.priceDecimals = pd;
      const ad = decimals(amountCell);
      if (ad > tally.amountDecimals) tally.amountDecimals = ad;
      emit({ line, id, t, side, price: exact[0], amount: exact[1] });
    }
  }

  flush(): void {
    // Nothing is held back: trade rows need no timeframe.
  }
}
