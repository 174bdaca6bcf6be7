import { newApiKey, sha256Hex } from './secrets';

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
