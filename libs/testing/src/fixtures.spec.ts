import * as fs from 'node:fs';
import { fixturePath } from './fixtures';

describe('fixturePath', () => {
  it('resolves a fixture inside the repository', () => {
    const file = fixturePath('UNITTEST_BTC-1m.json');
    expect(fs.existsSync(file)).toBe(true);
    expect(file).toMatch(/test[\\/]fixtures[\\/]UNITTEST_BTC-1m\.json$/);
  });

  it('names the missing fixture', () => {
    expect(() => fixturePath('NOPE.csv')).toThrow('no fixture "NOPE.csv"');
  });

  it('refuses names that leave the fixtures folder', () => {
    expect(() => fixturePath('../../package.json')).toThrow('no fixture');
  });
});
