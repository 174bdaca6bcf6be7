import { StringDecoder } from 'node:string_decoder';
import { ImportFormatError } from '../market.errors';

/**
 * File layouts an import understands:
 * - `binance-klines`: Binance public-data kline CSV, no header:
 *   open time, open, high, low, close, volume, close time, … (times in ms, or µs since 2025);
 * - `json-candles`: freqtrade-style JSON array of `[openTimeMs, open, high, low, close, volume]`;
 * - `json-trades`: freqtrade-style JSON array of `[timeMs, tradeId, orderId, side, price, amount, cost]`;
 * - `csv-candles`: CSV with a header naming open, high, low, close (volume optional) and a time
 *   column (timestamp, time, date, datetime, open_time, else the first column);
 * - `csv-trades`: CSV with a header naming a time column, price and amount (id and side optional).
 */
export const IMPORT_FORMATS = ['binance-klines', 'json-candles', 'json-trades', 'csv-candles', 'csv-trades'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];
export type ImportKind = 'candles' | 'trades';

export const kindOf = (format: ImportFormat): ImportKind => (format.endsWith('trades') ? 'trades' : 'candles');

/**
 * Rows in one shape per kind, as text cells so stored prices keep the source's digits:
 * candles `[time, open, high, low, close, volume, closeTime?]`, trades `[time, id, side, price, amount]`
 * (empty string where the file has no such column).
 */
export interface RowBatch {
  /** CSV line number, or element number in a JSON array (1-based), of each row. */
  lines: number[];
  rows: string[][];
  /** Bytes of the file consumed so far (for progress). */
  bytesRead: number;
}

/** A decimal as PostgreSQL's numeric also reads it (no hex, no Infinity). */
export const DECIMAL = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;
const TIME_NAMES = ['timestamp', 'time', 'date', 'datetime', 'open_time', 'opentime', 'open time'];

/** Reads the start of the file to name its format; throws when none fits. */
export function detectFormat(head: string): ImportFormat {
  const text = head.replace(/^\uFEFF/, '').trimStart();
  if (text === '') throw new ImportFormatError('The file is empty.');
  if (text.startsWith('[')) {
    const inner = text.slice(1).trimStart();
    if (!inner.startsWith('[')) {
      throw new ImportFormatError('A JSON import must be an array of row arrays ([[time, …], …]).');
    }
    const end = inner.indexOf(']');
    const first = splitJsonRow(inner.slice(1, end < 0 ? Math.min(inner.length, 500) : end));
    if (first.length >= 6 && first.some((c, i) => i >= 1 && i <= 3 && /^(buy|sell)$/i.test(c))) return 'json-trades';
    if (first.length >= 5 && first.length <= 6) return 'json-candles';
    if (first.length >= 7) return 'json-trades';
    throw new ImportFormatError(
      'The JSON rows fit neither [time, open, high, low, close, volume] nor [time, id, orderId, side, price, amount, cost].',
    );
  }
  const firstLine = text.split(/\r?\n/, 1)[0];
  const delimiter = pickDelimiter(firstLine);
  const cells = splitCsv(firstLine, delimiter);
  const isHeader = cells.some((c) => c !== '' && !DECIMAL.test(c) && /[a-z]/i.test(c) && !/^\d{4}-\d\d/.test(c));
  if (!isHeader) {
    if (cells.length >= 6 && cells.slice(0, 6).every((c) => DECIMAL.test(c))) return 'binance-klines';
    throw new ImportFormatError(
      'The CSV has no header and is not a Binance kline file (open time, open, high, low, close, volume, close time, …).',
    );
  }
  const header = cells.map((c) => c.toLowerCase());
  if (header.includes('price') && header.some((h) => ['amount', 'qty', 'quantity', 'size'].includes(h))) {
    return 'csv-trades';
  }
  if (['open', 'high', 'low', 'close'].every((h) => header.includes(h))) return 'csv-candles';
  throw new ImportFormatError(
    `The CSV header (${cells.join(', ')}) names neither open/high/low/close columns nor price/amount columns.`,
  );
}

function pickDelimiter(line: string): string {
  return [',', ';', '\t'].reduce((best, d) => (line.split(d).length > line.split(best).length ? d : best));
}

function splitCsv(line: string, delimiter: string): string[] {
  const cells = line.split(delimiter);
  for (let i = 0; i < cells.length; i++) {
    let c = cells[i].trim();
    if (c.length >= 2 && c.charCodeAt(0) === 34 && c.charCodeAt(c.length - 1) === 34) c = c.slice(1, -1);
    cells[i] = c;
  }
  return cells;
}

/** The cells of one flat JSON row's inside (`1,"2",null,"buy",0.1`): raw number text, unquoted strings, null → ''. */
function splitJsonRow(inside: string): string[] {
  const cells = inside.split(',');
  for (let i = 0; i < cells.length; i++) {
    let c = cells[i].trim();
    if (c.charCodeAt(0) === 34) c = c.slice(1, c.endsWith('"') ? -1 : undefined);
    else if (c === 'null') c = '';
    cells[i] = c;
  }
  return cells;
}

const BATCH_ROWS = 10_000;

/**
 * Streams a file's rows in batches, in the format given or detected from its first bytes.
 * Rows whose cells cannot even be laid out (too few columns) come with an empty cell list, so
 * the validator rejects them with their line number.
 */
export async function openRows(
  source: AsyncIterable<Buffer | string>,
  format?: ImportFormat,
): Promise<{ format: ImportFormat; batches: AsyncGenerator<RowBatch> }> {
  const iterator = source[Symbol.asyncIterator]();
  const decoder = new StringDecoder('utf8');
  let head = '';
  let bytes = 0;
  let done = false;
  // Enough of the file to see its first row.
  while (!done && head.length < 4096 && !/\n[^\n]*\n/.test(head) && !/\]\s*,/.test(head)) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      head += decoder.end();
    } else {
      bytes += next.value.length;
      head += typeof next.value === 'string' ? next.value : decoder.write(next.value);
    }
  }
  const detected = format ?? detectFormat(head);
  async function* text(): AsyncGenerator<string> {
    if (head) yield head;
    while (!done) {
      const next = await iterator.next();
      if (next.done) {
        done = true;
        const rest = decoder.end();
        if (rest) yield rest;
      } else {
        bytes += next.value.length;
        yield typeof next.value === 'string' ? next.value : decoder.write(next.value);
      }
    }
  }
  const batches = detected.startsWith('json')
    ? jsonBatches(text(), detected, () => bytes)
    : csvBatches(text(), detected, () => bytes);
  return { format: detected, batches };
}

async function* csvBatches(
  chunks: AsyncGenerator<string>,
  format: ImportFormat,
  bytes: () => number,
): AsyncGenerator<RowBatch> {
  let carry = '';
  let lineNo = 0;
  let layout: ((cells: string[]) => string[]) | null = format === 'binance-klines' ? binanceLayout : null;
  let delimiter = ',';
  let batch: RowBatch = { lines: [], rows: [], bytesRead: 0 };
  const take = (line: string) => {
    lineNo++;
    if (line.trim() === '') return;
    if (!layout) {
      // First non-empty line of a headed CSV: the header.
      delimiter = pickDelimiter(line.replace(/^\uFEFF/, ''));
      const header = splitCsv(line.replace(/^\uFEFF/, ''), delimiter).map((h) => h.toLowerCase());
      layout = format === 'csv-trades' ? tradeLayout(header) : candleLayout(header);
      return;
    }
    batch.lines.push(lineNo);
    batch.rows.push(layout(splitCsv(line, delimiter)));
  };
  for await (const chunk of chunks) {
    const text = carry + chunk;
    let start = 0;
    for (let nl = text.indexOf('\n', start); nl >= 0; nl = text.indexOf('\n', start)) {
      take(text.charCodeAt(nl - 1) === 13 ? text.slice(start, nl - 1) : text.slice(start, nl));
      start = nl + 1;
    }
    carry = text.slice(start);
    if (batch.rows.length >= BATCH_ROWS) {
      batch.bytesRead = bytes();
      yield batch;
      batch = { lines: [], rows: [], bytesRead: 0 };
    }
  }
  if (carry !== '') take(carry.endsWith('\r') ? carry.slice(0, -1) : carry);
  if (!layout) throw new ImportFormatError('The CSV has no header line.');
  batch.bytesRead = bytes();
  if (batch.rows.length > 0) yield batch;
}

function binanceLayout(cells: string[]): string[] {
  return cells.length < 6 ? [] : [cells[0], cells[1], cells[2], cells[3], cells[4], cells[5], cells[6] ?? ''];
}

function columnOf(header: string[], names: string[]): number {
  for (const name of names) {
    const k = header.indexOf(name);
    if (k >= 0) return k;
  }
  return -1;
}

function candleLayout(header: string[]): (cells: string[]) => string[] {
  const named = columnOf(header, TIME_NAMES);
  const t = named >= 0 ? named : 0;
  const [o, h, l, c] = ['open', 'high', 'low', 'close'].map((n) => header.indexOf(n));
  const v = header.indexOf('volume');
  if ([o, h, l, c].some((k) => k < 0)) {
    throw new ImportFormatError('The CSV header must name open, high, low and close columns.');
  }
  const width = Math.max(t, o, h, l, c, v) + 1;
  return (cells) =>
    cells.length < width ? [] : [cells[t], cells[o], cells[h], cells[l], cells[c], v >= 0 ? cells[v] : '0', ''];
}

function tradeLayout(header: string[]): (cells: string[]) => string[] {
  const t = columnOf(header, TIME_NAMES);
  const p = header.indexOf('price');
  const a = columnOf(header, ['amount', 'qty', 'quantity', 'size']);
  const id = columnOf(header, ['id', 'trade_id', 'tradeid', 'trade id']);
  const side = header.indexOf('side');
  if (t < 0) throw new ImportFormatError(`The CSV header must name a time column (${TIME_NAMES.join(', ')}).`);
  const width = Math.max(t, p, a) + 1;
  return (cells) =>
    cells.length < width
      ? []
      : [cells[t], id >= 0 ? (cells[id] ?? '') : '', side >= 0 ? (cells[side] ?? '') : '', cells[p], cells[a]];
}

async function* jsonBatches(
  chunks: AsyncGenerator<string>,
  format: ImportFormat,
  bytes: () => number,
): AsyncGenerator<RowBatch> {
  let depth = 0;
  let inString = false;
  let escaped = false;
  let rowText = '';
  let rowStart = -1;
  let element = 0;
  let closed = false;
  let batch: RowBatch = { lines: [], rows: [], bytesRead: 0 };
  const trades = format === 'json-trades';
  const emit = (inside: string) => {
    element++;
    const cells = splitJsonRow(inside);
    batch.lines.push(element);
    if (trades) {
      batch.rows.push(cells.length < 6 ? [] : [cells[0], cells[1], cells[3], cells[4], cells[5]]);
    } else {
      batch.rows.push(cells.length < 5 ? [] : [cells[0], cells[1], cells[2], cells[3], cells[4], cells[5] ?? '0', '']);
    }
  };
  for await (const chunk of chunks) {
    for (let i = 0; i < chunk.length; i++) {
      const ch = chunk.charCodeAt(i);
      if (inString) {
        if (escaped) escaped = false;
        else if (ch === 92) escaped = true;
        else if (ch === 34) inString = false;
        continue;
      }
      if (ch === 34) inString = true;
      else if (ch === 91) {
        depth++;
        if (depth === 2) rowStart = i + 1;
        else if (depth > 2) throw new ImportFormatError(`JSON row ${element + 1}: rows must be flat arrays.`);
      } else if (ch === 93) {
        depth--;
        if (depth === 1) {
          emit(rowStart >= 0 ? rowText + chunk.slice(rowStart, i) : rowText + chunk.slice(0, i));
          rowText = '';
          rowStart = -1;
        } else if (depth === 0) closed = true;
      } else if (depth === 1 && ch !== 44 && ch !== 32 && ch !== 10 && ch !== 13 && ch !== 9) {
        throw new ImportFormatError(`JSON element ${element + 1} is not an array.`);
      }
    }
    if (depth === 2) {
      rowText += rowStart >= 0 ? chunk.slice(rowStart) : chunk;
      rowStart = -1;
    }
    if (batch.rows.length >= BATCH_ROWS) {
      batch.bytesRead = bytes();
      yield batch;
      batch = { lines: [], rows: [], bytesRead: 0 };
    }
  }
  if (!closed) throw new ImportFormatError('The JSON array is not closed: the file is truncated.');
  batch.bytesRead = bytes();
  if (batch.rows.length > 0) yield batch;
}
