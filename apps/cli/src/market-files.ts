import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { allocateCandles, inferTimeframe, parseTime, type CandleSeries, type TradeSeries } from '@app/engine';

/** A problem with an input file; the CLI prints its message and exits with code 2. */
export class InputError extends Error {}

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new InputError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}

interface Table {
  header: string[];
  rows: string[][];
  /** 1-based file line of each row. */
  lines: number[];
}

function splitCsv(text: string, path: string): Table {
  const all = text.split(/\r?\n/);
  const first = all.findIndex((l) => l.trim() !== '');
  if (first < 0) throw new InputError(`${basename(path)}: the file is empty`);
  const headerLine = all[first];
  const delimiter = [',', ';', '\t'].reduce((best, d) =>
    headerLine.split(d).length > headerLine.split(best).length ? d : best,
  );
  const cells = (line: string) => line.split(delimiter).map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
  const header = cells(headerLine).map((h) => h.toLowerCase());
  const rows: string[][] = [];
  const lines: number[] = [];
  for (let i = first + 1; i < all.length; i++) {
    if (all[i].trim() === '') continue;
    rows.push(cells(all[i]));
    lines.push(i + 1);
  }
  return { header, rows, lines };
}

function column(table: Table, names: string[], path: string, what: string): number {
  for (const name of names) {
    const k = table.header.indexOf(name);
    if (k >= 0) return k;
  }
  throw new InputError(`${basename(path)}: no ${what} column in the header (looked for ${names.join(', ')})`);
}

function number(cell: string | undefined, path: string, line: number, what: string): number {
  const x = cell === undefined || cell === '' ? NaN : Number(cell);
  if (!Number.isFinite(x))
    throw new InputError(`${basename(path)} line ${line}: ${what} "${cell ?? ''}" is not a number`);
  return x;
}

function timeOf(cell: string | number | undefined, path: string, line: number): number {
  const t = cell === undefined ? NaN : parseTime(cell);
  if (!Number.isFinite(t))
    throw new InputError(`${basename(path)} line ${line}: cannot read the time "${String(cell)}"`);
  return t;
}

function parseJson(text: string, path: string): unknown[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InputError(`${basename(path)}: invalid JSON (${(error as Error).message})`);
  }
  if (!Array.isArray(value)) throw new InputError(`${basename(path)}: expected a JSON array of rows`);
  return value;
}

function withTimeframe(series: Omit<CandleSeries, 'timeframeMs'>, path: string): CandleSeries {
  if (series.time.length < 2) throw new InputError(`${basename(path)}: needs at least two candles`);
  for (let i = 1; i < series.time.length; i++) {
    if (!(series.time[i] > series.time[i - 1])) {
      throw new InputError(
        `${basename(path)}: candle ${i + 1} is not later than the one before (unsorted or duplicate time)`,
      );
    }
  }
  return { ...series, timeframeMs: inferTimeframe(series.time) };
}

/**
 * Candles from a JSON array of `[time, open, high, low, close, volume]` rows, or from a CSV with
 * a header: the time column is the one named timestamp, time, date, datetime or open_time, else
 * the first column; open, high, low, close and (optionally) volume are found by name in any
 * letter case. The timeframe is the most common spacing of the times.
 */
export function readCandles(path: string): CandleSeries {
  const text = read(path);
  if (text.trimStart().startsWith('[')) {
    const rows = parseJson(text, path);
    const s = allocateCandles(rows.length, 0);
    rows.forEach((row, i) => {
      if (!Array.isArray(row) || row.length < 5) {
        throw new InputError(`${basename(path)} row ${i + 1}: expected [time, open, high, low, close, volume]`);
      }
      const cells = row as unknown[];
      s.time[i] = timeOf(cells[0] as string | number, path, i + 1);
      const field = (k: number, what: string) => number(cellText(cells[k]), path, i + 1, what);
      s.open[i] = field(1, 'open');
      s.high[i] = field(2, 'high');
      s.low[i] = field(3, 'low');
      s.close[i] = field(4, 'close');
      s.volume[i] = cells.length > 5 ? field(5, 'volume') : 0;
    });
    return withTimeframe(s, path);
  }
  const table = splitCsv(text, path);
  const named = ['timestamp', 'time', 'date', 'datetime', 'open_time']
    .map((n) => table.header.indexOf(n))
    .find((k) => k >= 0);
  const t = named ?? 0;
  const o = column(table, ['open'], path, 'open');
  const h = column(table, ['high'], path, 'high');
  const l = column(table, ['low'], path, 'low');
  const c = column(table, ['close'], path, 'close');
  const v = table.header.indexOf('volume');
  const s = allocateCandles(table.rows.length, 0);
  table.rows.forEach((row, i) => {
    const line = table.lines[i];
    s.time[i] = timeOf(row[t], path, line);
    s.open[i] = number(row[o], path, line, 'open');
    s.high[i] = number(row[h], path, line, 'high');
    s.low[i] = number(row[l], path, line, 'low');
    s.close[i] = number(row[c], path, line, 'close');
    s.volume[i] = v >= 0 ? number(row[v], path, line, 'volume') : 0;
  });
  return withTimeframe(s, path);
}

function cellText(cell: unknown): string {
  return typeof cell === 'number' || typeof cell === 'string' ? String(cell) : '';
}

function sideOf(cell: unknown): number {
  const s = cellText(cell).toLowerCase();
  return s === 'buy' || s === 'b' || s === '1' ? 1 : s === 'sell' || s === 's' || s === '-1' ? -1 : 0;
}

/**
 * Trade prints from a JSON array of `[timeMs, id, orderId, side, price, amount, cost]` rows (the
 * freqtrade layout) or a CSV with a header naming timestamp (or time/date), side, price and
 * amount columns.
 */
export function readTrades(path: string): TradeSeries {
  const text = read(path);
  let time: number[];
  let price: number[];
  let amount: number[];
  let side: number[];
  if (text.trimStart().startsWith('[')) {
    const rows = parseJson(text, path);
    time = [];
    price = [];
    amount = [];
    side = [];
    rows.forEach((row, i) => {
      if (!Array.isArray(row) || row.length < 6) {
        throw new InputError(`${basename(path)} row ${i + 1}: expected [time, id, orderId, side, price, amount, cost]`);
      }
      const cells = row as unknown[];
      time.push(timeOf(cells[0] as string | number, path, i + 1));
      side.push(sideOf(cells[3]));
      price.push(number(cellText(cells[4]), path, i + 1, 'price'));
      amount.push(number(cellText(cells[5]), path, i + 1, 'amount'));
    });
  } else {
    const table = splitCsv(text, path);
    const t = column(table, ['timestamp', 'time', 'date', 'datetime'], path, 'time');
    const p = column(table, ['price'], path, 'price');
    const a = column(table, ['amount', 'qty', 'quantity', 'size'], path, 'amount');
    const sd = table.header.indexOf('side');
    time = table.rows.map((r, i) => timeOf(r[t], path, table.lines[i]));
    price = table.rows.map((r, i) => number(r[p], path, table.lines[i], 'price'));
    amount = table.rows.map((r, i) => number(r[a], path, table.lines[i], 'amount'));
    side = table.rows.map((r) => (sd >= 0 ? sideOf(r[sd]) : 0));
  }
  if (time.length === 0) throw new InputError(`${basename(path)}: no trades`);
  return {
    time: Float64Array.from(time),
    price: Float64Array.from(price),
    amount: Float64Array.from(amount),
    side: Int8Array.from(side),
  };
}

/** The strategy definition file: JSON only; the engine validates its content. */
export function readStrategy(path: string): unknown {
  const text = read(path);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new InputError(`${basename(path)}: invalid JSON (${(error as Error).message})`);
  }
}
