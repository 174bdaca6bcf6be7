import { isWellFormedApiKey, newApiKey, sha256Hex } from './secrets';

describe(newApiKey.name, () => {
  it('makes distinct keys that start with their visible prefix', () => {
    const a = newApiKey();
    const b = newApiKey();
    expect(a.key.startsWith(`${a.prefix}_`)).toBe(true);
    expect(a.prefix).toMatch(/^qk_[A-Za-z0-9_-]{8}$/);
    expect(a.key).not.toBe(b.key);
    expect(a.key.length).toBeGreaterThan(50);
    expect(sha256Hex(a.key)).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe(isWellFormedApiKey.name, () => {
  it('accepts every key newApiKey makes', () => {
    for (let i = 0; i < 200; i++) expect(isWellFormedApiKey(newApiKey().key)).toBe(true);
  });

  it('refuses anything else', () => {
    const { key } = newApiKey();
    for (const bad of [
      '',
      'qk_nope',
      key.slice(0, -1),
      `${key}x`,
      ` ${key}`,
      key.replace('qk_', 'qq_'),
      key.replace(/.$/, '='),
    ]) {
      expect(isWellFormedApiKey(bad)).toBe(false);
    }
  });
});
