import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AppConfig } from '@app/platform';
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
import { SessionStateService } from './session-state.service';
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
    private readonly sessionStates: SessionStateService,
    @Inject(AppConfig) private readonly config: AppConfig,
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
   * of concurrent calls exactly one rotates it. Presenting it again within
   * AUTH_REFRESH_GRACE_SECONDS of the rotation is taken for a race between two
   * clients of one session (two tabs) and answered with the same successor
   * while that is still live; later, it is a replay and revokes the session.
   */
  async refresh(refreshToken: string, meta: RequestMeta): Promise<IssuedSession> {
    const hash = sha256Hex(refreshToken);
    const next = this.tokens.successorOf(refreshToken);
    const expiresAt = new Date(Date.now() + REFRESH_TOKEN_TTL_SECONDS * 1000);
    const consumed = await this.sessions.transaction(async (m) => {
      const row = await this.sessions.consume(hash, m);
      if (row) await this.sessions.insert({ ...row, tokenHash: sha256Hex(next), expiresAt }, m);
      return row;
    });
    if (consumed) return this.issueRotated(consumed, next, expiresAt);
    const known = await this.sessions.findByHash(hash, this.config.env.AUTH_REFRESH_GRACE_SECONDS);
    if (known?.withinGrace) {
      // The loser of the race waited for the winner's transaction, so the successor is stored by now.
      const successor = await this.sessions.findLive(sha256Hex(next));
      if (successor) return this.issueRotated(successor, next, successor.expiresAt);
      // Already rotated again or ended: no session to hand out, but no sign of a replay either.
      throw new RefreshTokenInvalidError();
    }
    if (known?.revokedReason === 'rotated' || known?.revokedReason === 'reuse') {
      await this.sessions.revokeFamily(known.userId, known.familyId, 'reuse');
      await this.sessionStates.revoked([known.familyId]);
      await this.audit.record('refresh.reused', meta, {
        actorId: known.userId,
        details: { sessionId: known.familyId },
      });
      throw new RefreshTokenReusedError();
    }
    throw new RefreshTokenInvalidError();
  }

  private async issueRotated(
    session: { userId: string; familyId: string },
    refreshToken: string,
    refreshExpiresAt: Date,
  ): Promise<IssuedSession> {
    const user = await this.users.findById(session.userId);
    if (!user || user.disabled) {
      await this.sessions.revokeFamily(session.userId, session.familyId, 'disabled');
      await this.sessionStates.revoked([session.familyId]);
      throw new UserDisabledError();
    }
    const access = this.tokens.sign({ sub: user.id, role: user.role, tier: user.tier, sid: session.familyId });
    return { accessToken: access.token, expiresIn: access.expiresIn, refreshToken, refreshExpiresAt, user };
  }

  /** Ends the caller's session: its refresh-token family is revoked. */
  async logout(principal: Principal, meta: RequestMeta): Promise<void> {
    if (!principal.sessionId) return;
    await this.sessions.revokeFamily(principal.id, principal.sessionId, 'logout');
    await this.sessionStates.revoked([principal.sessionId]);
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
    const ended = await this.sessions.revokeAllOfUser(principal.id, 'password_change', principal.sessionId);
    await this.sessionStates.revoked(ended);
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
