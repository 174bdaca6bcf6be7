import { checkPassword } from './password-policy';

describe(checkPassword.name, () => {
  const email = 'analyst@desk.example.com';

  it.each([
    ['eleven-char', 'min_length'],
    ['x'.repeat(257), 'max_length'],
    ['ANALYST@desk.example.com', 'equals_email'],
    ['analyst', 'min_length'],
    ['Password1234', 'common_password'],
    ['correcthorsebatterystaple', 'common_password'],
  ])('refuses %p by the rule %s', (password, rule) => {
    expect(checkPassword(password, email)?.rule).toBe(rule);
  });

  it('refuses the local part of the email when it is long enough', () => {
    expect(checkPassword('longlocalpart1', 'longlocalpart1@x.io')?.rule).toBe('equals_email');
  });

  it('counts characters, not UTF-16 units', () => {
    expect(checkPassword('🔒'.repeat(11), email)?.rule).toBe('min_length');
    expect(checkPassword('🔒'.repeat(12), email)).toBeUndefined();
  });

  it('accepts a long uncommon password', () => {
    expect(checkPassword('violet-harbor-lantern-42', email)).toBeUndefined();
  });
});
