import {
  ChunkDecodeError,
  chunkChecksum,
  decodeCandleTimes,
  decodeCandles,
  decodeTrades,
  encodeCandles,
  encodeTrades,
  formatScaled,
  parseDecimal,
  scaleTo,
} from './chunk-codec';

describe('parseDecimal', () => {
  it('reads decimal text exactly as an integer and a scale', () => {
    expect(parseDecimal('43123.45')).toEqual({ m: 4312345, s: 2 });
    expect(parseDecimal('0.00001200')).toEqual({ m: 12, s: 6 });
    expect(parseDecimal('1200')).toEqual({ m: 1200, s: 0 });
    expect(parseDecimal('100.00')).toEqual({ m: 100, s: 0 });
    expect(parseDecimal('100.')).toEqual({ m: 100, s: 0 });
    expect(parseDecimal('160.2200')).toEqual({ m: 16022, s: 2 });
    expect(parseDecimal('0.')).toEqual({ m: 0, s: 0 });
    expect(parseDecimal('1.5e-7')).toEqual({ m: 15, s: 8 });
    expect(parseDecimal(1e-7)).toEqual({ m: 1, s: 7 });
    expect(parseDecimal('-2.50')).toEqual({ m: -25, s: 1 });
    expect(parseDecimal('.5')).toEqual({ m: 5, s: 1 });
    expect(parseDecimal('0.000')).toEqual({ m: 0, s: 0 });
  });

  it('gives back the same value for any plain decimal text', () => {
    let seed = 1;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let k = 0; k < 5_000; k++) {
      const int = String(rand(10 ** (1 + rand(7))));
      const frac = rand(3) === 0 ? '' : '.' + String(rand(10 ** 6)).padStart(rand(8), '0') + '0'.repeat(rand(3));
      const text = int + frac;
      const d = parseDecimal(text)!;
      expect(Number(formatScaled(d.m, d.s))).toBe(Number(text));
      expect(d.m / 10 ** d.s).toBe(Number(text));
    }
  });

  it('refuses what it cannot store without rounding, and non-decimals', () => {
    expect(parseDecimal('1234567890.1234567')).toBeNull();
    expect(parseDecimal('1e30')).toBeNull();
    expect(parseDecimal('0x10')).toBeNull();
    expect(parseDecimal('abc')).toBeNull();
    expect(parseDecimal('')).toBeNull();
    expect(parseDecimal(Infinity)).toBeNull();
  });

  it('scales to a common exponent and formats back to the same decimal', () => {
    const d = parseDecimal('0.1')!;
    expect(scaleTo(d, 8)).toBe(10_000_000);
    expect(formatScaled(10_000_000, 8)).toBe('0.1');
    expect(formatScaled(5, 8)).toBe('0.00000005');
    expect(formatScaled(-1234500, 2)).toBe('-12345');
    expect(formatScaled(42, 0)).toBe('42');
    expect(scaleTo(parseDecimal('123456789')!, 8)).toBeNaN();
  });
});

describe('candle chunks', () => {
  const texts = [
    ['43123.45', '43130', '43100.1', '43125.99', '12.345678'],
    ['43125.99', '43140.5', '43125.99', '43140.5', '0'],
    ['43140', '43141', '43000', '43001.01', '1000'],
  ];
  const time = [1_700_000_040_000, 1_700_000_100_000, 1_700_000_220_000];

  function input() {
    const dec = texts.map((row) => row.map((t) => parseDecimal(t)!));
    const pe = Math.max(...dec.flatMap((r) => r.slice(0, 4).map((d) => d.s)));
    const ve = Math.max(...dec.map((r) => r[4].s));
    const col = (k: number, e: number) => dec.map((r) => scaleTo(r[k], e));
    return {
      time,
      open: col(0, pe),
      high: col(1, pe),
      low: col(2, pe),
      close: col(3, pe),
      priceExp: pe,
      volume: col(4, ve),
      volumeExp: ve,
    };
  }

  it('round-trips to the doubles Number(text) gives, and to the same decimal text', () => {
    const bytes = encodeCandles(input());
    const d = decodeCandles(bytes);
    expect(Array.from(d.time)).toEqual(time);
    expect(Array.from(d.open)).toEqual(texts.map((r) => Number(r[0])));
    expect(Array.from(d.high)).toEqual(texts.map((r) => Number(r[1])));
    expect(Array.from(d.low)).toEqual(texts.map((r) => Number(r[2])));
    expect(Array.from(d.close)).toEqual(texts.map((r) => Number(r[3])));
    expect(Array.from(d.volume)).toEqual(texts.map((r) => Number(r[4])));
    const m = decodeCandles(bytes, true);
    expect(Array.from(m.volume, (v) => formatScaled(v, m.volumeExp))).toEqual(['12.345678', '0', '1000']);
    expect(Array.from(decodeCandleTimes(bytes))).toEqual(time);
  });

  it('packs a regular series into a few bytes a bar', () => {
    const n = 1440;
    const t = Array.from({ length: n }, (_, i) => 1_700_006_400_000 + i * 60_000);
    let p = 4_312_345;
    const open: number[] = [];
    const close: number[] = [];
    for (let i = 0; i < n; i++) {
      open.push(p);
      p += ((i * 7919) % 2001) - 1000;
      close.push(p);
    }
    const bytes = encodeCandles({
      time: t,
      open,
      high: open.map((o, i) => Math.max(o, close[i]) + 150),
      low: open.map((o, i) => Math.min(o, close[i]) - 150),
      close,
      priceExp: 2,
      volume: t.map((_, i) => 1_000_000 + ((i * 104729) % 9_000_000)),
      volumeExp: 6,
    });
    expect(bytes.length / n).toBeLessThan(16);
    expect(Array.from(decodeCandles(bytes).time)).toEqual(t);
  });

  it('refuses corrupted bytes instead of decoding wrong numbers', () => {
    const bytes = encodeCandles(input());
    expect(() => decodeCandles(bytes.subarray(0, bytes.length - 1))).toThrow(ChunkDecodeError);
    const badMagic = Buffer.from(bytes);
    badMagic[0] = 0;
    expect(() => decodeCandles(badMagic)).toThrow(ChunkDecodeError);
    expect(() => decodeTrades(bytes)).toThrow(ChunkDecodeError);
    const flipped = Buffer.from(bytes);
    flipped[12] ^= 0x01;
    expect(chunkChecksum(flipped)).not.toBe(chunkChecksum(bytes));
  });
});

describe('trade chunks', () => {
  const base = {
    time: [1_700_000_000_000, 1_700_000_000_000, 1_700_000_000_950, 1_700_000_003_001],
    price: [305012, 305011, 305100, 304999],
    priceExp: 2,
    amount: [1, 25, 100_000_000, 3],
    amountExp: 8,
    side: [1, -1, 0, 1],
  };

  it('round-trips numeric ids, sides, prices and amounts', () => {
    const bytes = encodeTrades({ ...base, id: ['1001', '1002', '1004', '1003'] });
    const d = decodeTrades(bytes, { withIds: true });
    expect(Array.from(d.time)).toEqual(base.time);
    expect(Array.from(d.price)).toEqual([3050.12, 3050.11, 3051, 3049.99]);
    expect(Array.from(d.amount)).toEqual([1e-8, 2.5e-7, 1, 3e-8]);
    expect(Array.from(d.side)).toEqual(base.side);
    expect(d.id).toEqual(['1001', '1002', '1004', '1003']);
    const m = decodeTrades(bytes, { mantissas: true });
    expect(Array.from(m.price, (v) => formatScaled(v, m.priceExp))).toEqual(['3050.12', '3050.11', '3051', '3049.99']);
  });

  it('keeps text ids (leading zeros, letters) as text', () => {
    const id = ['007', 'abc-1', '10', 'ü'];
    expect(decodeTrades(encodeTrades({ ...base, id }), { withIds: true }).id).toEqual(id);
  });

  it('packs dense prints into a few bytes each', () => {
    const n = 10_000;
    const bytes = encodeTrades({
      time: Array.from({ length: n }, (_, i) => 1_700_000_000_000 + i * 37),
      price: Array.from({ length: n }, (_, i) => 305_000 + ((i * 31) % 40)),
      priceExp: 2,
      amount: Array.from({ length: n }, (_, i) => 1 + ((i * 7919) % 50_000)),
      amountExp: 4,
      side: Array.from({ length: n }, (_, i) => (i % 3 === 0 ? -1 : 1)),
      id: Array.from({ length: n }, (_, i) => String(5_000_000_000 + i)),
    });
    expect(bytes.length / n).toBeLessThan(8);
  });

  it('refuses a side column that does not match the count', () => {
    const bytes = encodeTrades({ ...base, id: ['1', '2', '3', '4'] });
    expect(() => decodeTrades(Buffer.concat([bytes, Buffer.from([0])]))).toThrow(ChunkDecodeError);
  });
});
