import { badTextFields, isStorableText } from './text-input';

describe('the text rule', () => {
  it('takes any well-formed text, astral characters included', () => {
    expect(isStorableText('BTC/USD – 😀 ü')).toBe(true);
    expect(isStorableText('')).toBe(true);
  });

  it('refuses NUL and unpaired surrogates', () => {
    for (const bad of ['a\u0000', '\ud800', 'x\udfff', '\ude00\ud83d']) expect(isStorableText(bad)).toBe(false);
  });

  it('names every bad string and key by its path', () => {
    expect(
      badTextFields({
        name: 'ok',
        tags: ['x', 'a\u0000'],
        definition: { entry: { ['k\ud800']: 1, deep: ['\u0000'] } },
      }),
    ).toEqual([
      { field: 'tags[1]', message: expect.any(String) },
      { field: 'definition.entry."k\\ud800"', message: expect.any(String) },
      { field: 'definition.entry.deep[0]', message: expect.any(String) },
    ]);
    expect(badTextFields('a\u0000', 'id')).toEqual([{ field: 'id', message: expect.any(String) }]);
    expect(badTextFields({ a: 1, b: null, c: true })).toEqual([]);
  });
});
