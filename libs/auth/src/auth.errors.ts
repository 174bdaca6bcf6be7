import { AppError } from '@app/platform';
import { PasswordRule } from './domain/password-policy';

export class AuthenticationRequiredError extends AppError {
  constructor() {
    super(
      'AUTHENTICATION_REQUIRED',
      'unauthenticated',
      'This route needs an access token (Authorization: Bearer) or an API key (X-API-Key).',
    );
  }
}

/** Bad signature, `alg: none`, wrong issuer or audience, malformed: one code, no hint which. */
export class AccessTokenInvalidError extends AppError {
  constructor() {
    super('ACCESS_TOKEN_INVALID', 'unauthenticated', 'The access token is not valid.');
  }
}

export class AccessTokenExpiredError extends AppError {
  constructor() {
    super('ACCESS_TOKEN_EXPIRED', 'unauthenticated', 'The access token has expired; refresh it.');
  }
}

/** The token's session ended (logout, refresh-token reuse, password change) before the token expired. */
export class SessionRevokedError extends AppError {
  constructor() {
    super('SESSION_REVOKED', 'unauthenticated', 'The session of this access token has ended; log in again.');
  }
}

export class ApiKeyInvalidError extends AppError {
  constructor() {
    super('API_KEY_INVALID', 'unauthenticated', 'The API key is unknown, revoked or expired.');
  }
}

export class UserDisabledError extends AppError {
  constructor() {
    super('USER_DISABLED', 'unauthenticated', 'This account is disabled.');
  }
}

export class InvalidCredentialsError extends AppError {
  constructor() {
    super('INVALID_CREDENTIALS', 'unauthenticated', 'The email or password is wrong.');
  }
}

export class RefreshTokenInvalidError extends AppError {
  constructor() {
    super(
      'REFRESH_TOKEN_INVALID',
      'unauthenticated',
      'The refresh token is unknown, expired or revoked; log in again.',
    );
  }
}

export class RefreshTokenReusedError extends AppError {
  constructor() {
    super(
      'REFRESH_TOKEN_REUSED',
      'unauthenticated',
      'This refresh token was already used; every session of its family is revoked. Log in again.',
    );
  }
}

export class CurrentPasswordIncorrectError extends AppError {
  constructor() {
    super('CURRENT_PASSWORD_INCORRECT', 'forbidden', 'The current password is wrong.');
  }
}

export class InsufficientRoleError extends AppError {
  constructor(required: readonly string[]) {
    super('INSUFFICIENT_ROLE', 'forbidden', `This route needs the role ${required.join(' or ')}.`, { required });
  }
}

export class SessionRequiredError extends AppError {
  constructor() {
    super('SESSION_REQUIRED', 'forbidden', 'This action needs a logged-in session (an access token), not an API key.');
  }
}

export class WeakPasswordError extends AppError {
  constructor(rule: PasswordRule, message: string, field = 'password') {
    super('WEAK_PASSWORD', 'invalid', message, { rule }, [{ field, message }]);
  }
}

export class EmailTakenError extends AppError {
  constructor() {
    super('EMAIL_TAKEN', 'conflict', 'An account with this email already exists.');
  }
}

export class UserNotFoundError extends AppError {
  constructor() {
    super('USER_NOT_FOUND', 'not_found', 'No such user.');
  }
}

export class ApiKeyNotFoundError extends AppError {
  constructor() {
    super('API_KEY_NOT_FOUND', 'not_found', 'No such API key.');
  }
}

export class ApiKeyLimitError extends AppError {
  constructor(limit: number) {
    super('API_KEY_LIMIT', 'conflict', `A user may hold at most ${limit} active API keys; revoke one first.`, {
      limit,
    });
  }
}

export class InvalidCursorError extends AppError {
  constructor() {
    super('INVALID_CURSOR', 'invalid', 'The cursor is not one this list issued.', {}, [
      { field: 'cursor', message: 'invalid cursor' },
    ]);
  }
}

export class OwnAccountChangeError extends AppError {
  constructor() {
    super('OWN_ACCOUNT_CHANGE', 'conflict', 'Admins cannot change their own role or disable themselves.');
  }
}

export class InvalidExpiryError extends AppError {
  constructor() {
    super('INVALID_EXPIRY', 'invalid', 'expiresAt must lie in the future.', {}, [
      { field: 'expiresAt', message: 'must lie in the future' },
    ]);
  }
}

export class ExchangeCredentialNotFoundError extends AppError {
  constructor() {
    super('EXCHANGE_CREDENTIAL_NOT_FOUND', 'not_found', 'No such exchange credential.');
  }
}

export class ExchangeCredentialExistsError extends AppError {
  constructor() {
    super(
      'EXCHANGE_CREDENTIAL_EXISTS',
      'conflict',
      'A credential with this exchange and label already exists; delete it or choose another label.',
    );
  }
}

/** No ENCRYPTION_KEY outside production: storing secrets under a throwaway key would lose them on restart. */
export class VaultDisabledError extends AppError {
  constructor() {
    super(
      'VAULT_DISABLED',
      'unavailable',
      'The exchange-credential vault is disabled: the server has no ENCRYPTION_KEY configured.',
    );
  }
}

/** The record was sealed under a key version this process does not hold, or its bytes were altered. */
export class VaultDecryptionError extends AppError {
  constructor(reason: 'unknown_key_version' | 'tampered', keyVersion: number) {
    super('VAULT_DECRYPTION_FAILED', 'internal', 'A stored credential could not be decrypted.', {
      reason,
      keyVersion,
    });
  }
}
