import { decodeCandles, decodeTrades, formatScaled, parseDecimal } from './chunk-codec';
import { PendingCandle, PendingTrade, mergeCandles, mergeTrades } from './chunk-merge';

const d = (text: string) => parseDecimal(text)!;
const candle = (line: number, t: number, p: string, v = '1'): PendingCandle => ({
  line,
  t,
  o: d(p),
  h: d(p),
  l: d(p),
  c: d(p),
  v: d(v),
});
const trade = (line: number, id: string, t: number, price: string, amount = '1'): PendingTrade => ({
  line,
  id,
  t,
  side: 1,
  price: d(price),
  amount: d(amount),
});

describe('mergeCandles', () => {
  it('keeps stored bars, adds new ones in time order and widens the exponent to fit both', () => {
    const first = mergeCandles(0, null, [candle(1, 60_000, '10.5'), candle(2, 180_000, '11')]);
    const stored = decodeCandles(first.row!.data, true);
    const merged = mergeCandles(0, stored, [candle(1, 60_000, '99'), candle(2, 120_000, '10.125')]);
    expect(merged).toMatchObject({ inserted: 1, duplicates: 1, rejections: [] });
    const out = decodeCandles(merged.row!.data, true);
    expect(out.priceExp).toBe(3);
    expect(Array.from(out.time)).toEqual([60_000, 120_000, 180_000]);
    expect(Array.from(out.open, (m) => formatScaled(m, out.priceExp))).toEqual(['10.5', '10.125', '11']);
    expect(merged.row!.summary).toMatchObject({ count: 3, first: 60_000, last: 180_000, open: 10.5, close: 11 });
  });

  it('rejects, with its line, a price whose decimals cannot share 15 digits with the chunk', () => {
    const out = mergeCandles(0, null, [candle(7, 60_000, '123456789012'), candle(8, 120_000, '0.00001')]);
    expect(out.inserted).toBe(1);
    expect(out.rejections).toEqual([{ line: 8, reason: expect.stringMatching(/0\.00001 does not fit/) }]);
  });

  it('writes nothing when every row is stored already', () => {
    const first = mergeCandles(0, null, [candle(1, 60_000, '1')]);
    const again = mergeCandles(0, decodeCandles(first.row!.data, true), [candle(1, 60_000, '1')]);
    expect(again).toMatchObject({ row: null, inserted: 0, duplicates: 1 });
  });
});

describe('mergeTrades', () => {
  it('merges by trade id: same values are duplicates, other values are rejected', () => {
    const first = mergeTrades(0, null, [trade(1, '10', 1_000, '5.5'), trade(2, '11', 2_000, '5.6')]);
    const stored = decodeTrades(first.row!.data, { mantissas: true, withIds: true });
    const merged = mergeTrades(0, stored, [
      trade(1, '11', 2_000, '5.60'),
      trade(2, '12', 2_000, '5.7'),
      trade(3, '10', 1_000, '5.4'),
    ]);
    expect(merged.inserted).toBe(1);
    expect(merged.duplicates).toBe(1);
    expect(merged.rejections).toEqual([{ line: 3, reason: expect.stringMatching(/trade id 10 is already stored/) }]);
    const out = decodeTrades(merged.row!.data, { withIds: true });
    expect(out.id).toEqual(['10', '11', '12']);
    expect(Array.from(out.price)).toEqual([5.5, 5.6, 5.7]);
  });
});
