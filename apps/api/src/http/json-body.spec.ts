import { jsonDepthExceeds } from './json-body';

const depth = (text: string, limit: number) => jsonDepthExceeds(Buffer.from(text), limit);

describe('jsonDepthExceeds', () => {
  it('counts arrays and objects alike, and only past the limit', () => {
    expect(depth('[[{"a":[1]}]]', 4)).toBe(false);
    expect(depth('[[{"a":[[1]]}]]', 4)).toBe(true);
    expect(depth('{}', 1)).toBe(false);
    expect(depth('1', 0)).toBe(false);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    expect(depth('{"a":"[[[[[[{{{{"}', 1)).toBe(false);
    expect(depth('{"a":"\\"[[[[\\\\"}', 1)).toBe(false);
    expect(depth('["\\\\",[[1]]]', 2)).toBe(true);
  });

  it('stops at the first level too deep of a huge body', () => {
    const body = Buffer.from('['.repeat(1_000_000));
    expect(jsonDepthExceeds(body, 128)).toBe(true);
  });
});
