import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AuditService, RequestMeta } from './audit.service';
import { AuthenticationService, Principal } from './authentication.service';
import {
  CurrentPasswordIncorrectError,
  EmailTakenError,
  InvalidCredentialsError,
  RefreshTokenInvalidError,
  RefreshTokenReusedError,
  UserDisabledError,
  UserNotFoundError,
} from './auth.errors';
import { randomToken, sha256Hex } from './domain/secrets';
import { PasswordService } from './password.service';
import { SessionRepository } from './session.repository';
import { REFRESH_TOKEN_TTL_SECONDS, TokenService } from './token.service';
import { UserRecord, UserRepository } from './user.repository';

export interface IssuedSession {
  accessToken: string;
  expiresIn: number;
  refreshToken: string;
  refreshExpiresAt: Date;
  user: UserRecord;
}

export const normalizeEmail = (email: string): string => email.trim().toLowerCase();

/** Registration, login, refresh-token rotation, logout and password change. */
@Injectable()
export class AuthService {
  constructor(
    private readonly users: UserRepository,
    private readonly sessions: SessionRepository,
    private readonly passwords: PasswordService,
    private readonly tokens: TokenService,
    private readonly authentication: AuthenticationService,
    private readonly audit: AuditService,
  ) {}

  async register(input: { email: string; password: string }, meta: RequestMeta): Promise<IssuedSession> {
    const email = normalizeEmail(input.email);
    this.passwords.assertAcceptable(input.password, email);
    const user = await this.users.create({
      email,
      passwordHash: await this.passwords.hash(input.password),
      role: 'user',
      tier: 'basic',
    });
    if (!user) throw new EmailTakenError();
    await this.audit.record('user.registered', meta, { actorId: user.id });
    return this.startSession(user);
  }

  /** Unknown email, wrong password and disabled account all answer INVALID_CREDENTIALS after one argon2 verify. */
  async login(input: { email: string; password: string }, meta: RequestMeta): Promise<IssuedSession> {
    const email = normalizeEmail(input.email);
    const found = await this.users.findCredentials(email);
    const ok = await this.passwords.verify(found?.passwordHash, input.password);
    if (!found || !ok || found.disabled) {
      const reason = !found ? 'unknown_email' : !ok ? 'wrong_password' : 'disabled';
      await this.audit.record('login.failed', meta, {
        actorId: found?.id,
        details: { email: email.slice(0, 254), reason },
      });
      throw new InvalidCredentialsError();
    }
    const { passwordHash: _hash, ...user } = found;
    await this.audit.record('login.succeeded', meta, { actorId: user.id });
    return this.startSession(user);
  }

  /**
   * Rotates a refresh token. The old one is consumed by a conditional UPDATE, so
   * of concurrent calls exactly one succeeds; presenting a token that was already
   * rotated revokes its whole family.
   */
  async refresh(refreshToken: string, meta: RequestMeta): Promise<IssuedSession> {
    const hash = sha256Hex(refreshToken);
    const next = randomToken(32);
    const expiresAt = new Date(Date.now() + REFRESH_TOKEN_TTL_SECONDS * 1000);
    const consumed = await this.sessions.transaction(async (m) => {
      const row = await this.sessions.consume(hash, m);
      if (row) await this.sessions.insert({ ...row, tokenHash: sha256Hex(next), expiresAt }, m);
      return row;
    });
    if (!consumed) {
      const known = await this.sessions.findByHash(hash);
      if (known?.revokedReason === 'rotated' || known?.revokedReason === 'reuse') {
        await this.sessions.revokeFamily(known.userId, known.familyId, 'reuse');
        await this.audit.record('refresh.reused', meta, {
          actorId: known.userId,
          details: { sessionId: known.familyId },
        });
        throw new RefreshTokenReusedError();
      }
      throw new RefreshTokenInvalidError();
    }
    const user = await this.users.findById(consumed.userId);
    if (!user || user.disabled) {
      await this.sessions.revokeFamily(consumed.userId, consumed.familyId, 'disabled');
      throw new UserDisabledError();
    }
    const access = this.tokens.sign({ sub: user.id, role: user.role, tier: user.tier, sid: consumed.familyId });
    return {
      accessToken: access.token,
      expiresIn: access.expiresIn,
      refreshToken: next,
      refreshExpiresAt: expiresAt,
      user,
    };
  }

  /** Ends the caller's session: its refresh-token family is revoked. */
  async logout(principal: Principal, meta: RequestMeta): Promise<void> {
    if (!principal.sessionId) return;
    await this.sessions.revokeFamily(principal.id, principal.sessionId, 'logout');
    await this.audit.record('logout', meta, { actorId: principal.id, details: { sessionId: principal.sessionId } });
  }

  /** The current user, from the row authentication read (at most a few seconds old). */
  async me(principal: Principal): Promise<UserRecord> {
    const user = await this.authentication.currentUser(principal.id);
    if (!user) throw new UserNotFoundError();
    // Role and tier as authorised for this request (an API key's lookup reads them fresh).
    return { ...user, role: principal.role, tier: principal.tier };
  }

  /** Changes the password and revokes every other session of the user. */
  async changePassword(
    principal: Principal,
    input: { currentPassword: string; newPassword: string },
    meta: RequestMeta,
  ): Promise<void> {
    const user = await this.me(principal);
    const hash = await this.users.findPasswordHash(principal.id);
    if (!(await this.passwords.verify(hash, input.currentPassword))) throw new CurrentPasswordIncorrectError();
    this.passwords.assertAcceptable(input.newPassword, user.email, 'newPassword');
    await this.users.updatePassword(principal.id, await this.passwords.hash(input.newPassword));
    await this.sessions.revokeAllOfUser(principal.id, 'password_change', principal.sessionId);
    this.authentication.forget(principal.id);
    await this.audit.record('password.changed', meta, { actorId: principal.id });
  }

  private async startSession(user: UserRecord): Promise<IssuedSession> {
    const familyId = randomUUID();
    const refreshToken = randomToken(32);
    const refreshExpiresAt = new Date(Date.now() + REFRESH_TOKEN_TTL_SECONDS * 1000);
    await this.sessions.insert({
      userId: user.id,
      familyId,
      tokenHash: sha256Hex(refreshToken),
      expiresAt: refreshExpiresAt,
    });
    const access = this.tokens.sign({ sub: user.id, role: user.role, tier: user.tier, sid: familyId });
    return { accessToken: access.token, expiresIn: access.expiresIn, refreshToken, refreshExpiresAt, user };
  }
}
