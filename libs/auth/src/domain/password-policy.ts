/** The rules a new password must follow; `rule` is reported to the client. */
export type PasswordRule = 'min_length' | 'max_length' | 'equals_email' | 'common_password';

export const PASSWORD_MIN_LENGTH = 12;
/** argon2 hashes anything, but a megabyte password is an easy way to burn CPU. */
export const PASSWORD_MAX_LENGTH = 256;

/**
 * Passwords of at least 12 characters that still top the leaked-password lists.
 * Short ones are already refused by the length rule.
 */
const COMMON_PASSWORDS = new Set([
  '123456789012',
  '1234567890123',
  '12345678901234',
  '123123123123',
  '111111111111',
  '000000000000',
  'qwertyuiopas',
  'qwertyuiop123',
  '1q2w3e4r5t6y',
  '1qaz2wsx3edc',
  'qazwsxedcrfv',
  'zaq12wsxcde3',
  'passwordpassword',
  'password1234',
  'password12345',
  'password123456',
  'password123!',
  'passw0rd1234',
  'p@ssw0rd1234',
  'p@ssword1234',
  'administrator',
  'admin1234567',
  'adminadmin123',
  'iloveyou1234',
  'letmein12345',
  'welcome12345',
  'welcome123456',
  'changeme1234',
  'changemenow!',
  'trustno1trustno1',
  'football1234',
  'baseball1234',
  'sunshine1234',
  'princess1234',
  'superman1234',
  'starwars1234',
  'monkey123456',
  'dragon123456',
  'abc123abc123',
  'abcdefghijkl',
  'abcd12345678',
  'aaaaaaaaaaaa',
  'asdfghjkl123',
  'asdfasdfasdf',
  'qwerty123456',
  'qwertyqwerty',
  'correcthorsebatterystaple',
]);

export interface PasswordViolation {
  rule: PasswordRule;
  message: string;
}

/** Returns the first rule `password` breaks, or undefined when it is acceptable. */
export function checkPassword(password: string, email: string): PasswordViolation | undefined {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) {
    return { rule: 'min_length', message: `The password must be at least ${PASSWORD_MIN_LENGTH} characters long.` };
  }
  if (length > PASSWORD_MAX_LENGTH) {
    return { rule: 'max_length', message: `The password must be at most ${PASSWORD_MAX_LENGTH} characters long.` };
  }
  const lower = password.toLowerCase();
  const mail = email.trim().toLowerCase();
  if (lower === mail || lower === mail.split('@')[0]) {
    return { rule: 'equals_email', message: 'The password must not be the email address.' };
  }
  if (COMMON_PASSWORDS.has(lower)) {
    return { rule: 'common_password', message: 'The password is on the list of commonly used passwords.' };
  }
  return undefined;
}
