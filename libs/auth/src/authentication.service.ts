import { Injectable } from '@nestjs/common';
import { ApiKeyRepository } from './api-key.repository';
import { ApiKeyInvalidError, SessionRevokedError, UserDisabledError } from './auth.errors';
import { isWellFormedApiKey, sha256Hex } from './domain/secrets';
import { SessionStateService } from './session-state.service';
import { TokenService } from './token.service';
import { Role, Tier } from './user.entity';
import { UserRecord, UserRepository } from './user.repository';

/** Who is calling: what handlers get through `@CurrentUser()`. */
export interface Principal {
  id: string;
  role: Role;
  tier: Tier;
  /** How the caller authenticated. */
  via: 'jwt' | 'apiKey';
  /** The refresh-token family of a JWT caller. */
  sessionId?: string;
}

/**
 * How long a user's role, tier and disabled flag are served from memory. A
 * change made through this process applies at once; other instances see it
 * within this time.
 */
const STATUS_TTL_MS = 5_000;
const STATUS_CACHE_MAX = 10_000;
/** last_used_at of an API key is written at most this often. */
const KEY_TOUCH_INTERVAL_MS = 60_000;
/**
 * Unknown keys remembered, by hash. A key that is unknown, revoked or expired
 * never becomes valid again (new keys are random), so the answer can be kept
 * long; the bound only caps memory.
 */
const UNKNOWN_KEY_TTL_MS = 10 * 60_000;
const UNKNOWN_KEYS_MAX = 10_000;

@Injectable()
export class AuthenticationService {
  private readonly statusCache = new Map<string, { status: UserRecord | undefined; until: number }>();
  private readonly unknownKeys = new Map<string, number>();

  constructor(
    private readonly tokens: TokenService,
    private readonly users: UserRepository,
    private readonly apiKeys: ApiKeyRepository,
    private readonly sessionStates: SessionStateService,
  ) {}

  /**
   * Verifies an access token and reads the user's current state: role and tier
   * come from the user row, not the token, so an admin's change applies at once.
   * The token's session must still be live (not logged out, replayed or ended
   * by a password change). Answers synchronously when the user's state and the
   * session's are cached (the common case), so the guard adds no promise to
   * every request.
   */
  authenticateAccessToken(token: string): Principal | Promise<Principal> {
    const claims = this.tokens.verify(token);
    const cached = this.cachedStatus(claims.sub);
    const live = this.sessionStates.cached(claims.sid);
    if (cached && live !== undefined) return jwtPrincipal(cached.status, live, claims.sid);
    return Promise.all([
      cached ? cached.status : this.loadStatus(claims.sub),
      live ?? this.sessionStates.load(claims.sid),
    ]).then(([status, isLive]) => jwtPrincipal(status, isLive, claims.sid));
  }

  /** A malformed key, or one looked up in the last minutes and not found, costs no query. */
  async authenticateApiKey(key: string): Promise<Principal> {
    if (!isWellFormedApiKey(key)) throw new ApiKeyInvalidError();
    const hash = sha256Hex(key);
    const unknownUntil = this.unknownKeys.get(hash);
    if (unknownUntil !== undefined) {
      if (unknownUntil > Date.now()) throw new ApiKeyInvalidError();
      this.unknownKeys.delete(hash);
    }
    const owner = await this.apiKeys.findOwnerByHash(hash);
    if (!owner) {
      // Oldest first out: a Map iterates in insertion order.
      if (this.unknownKeys.size >= UNKNOWN_KEYS_MAX) this.unknownKeys.delete(this.unknownKeys.keys().next().value!);
      this.unknownKeys.set(hash, Date.now() + UNKNOWN_KEY_TTL_MS);
      throw new ApiKeyInvalidError();
    }
    if (owner.disabled) throw new UserDisabledError();
    if (!owner.lastUsedAt || Date.now() - owner.lastUsedAt.getTime() > KEY_TOUCH_INTERVAL_MS) {
      await this.apiKeys.touch(owner.userId, owner.keyId);
    }
    return { id: owner.userId, role: owner.role, tier: owner.tier, via: 'apiKey' };
  }

  /** Drops the cached state of a user (after an admin change). */
  forget(userId: string): void {
    this.statusCache.delete(userId);
  }

  /**
   * The user row as of at most STATUS_TTL_MS ago: authentication reads it on
   * every request, so the current user is one cache lookup, not a query.
   */
  async currentUser(userId: string): Promise<UserRecord | undefined> {
    // A cached "no such user" is an answer too: only a miss reads the row.
    const cached = this.cachedStatus(userId);
    return cached ? cached.status : this.loadStatus(userId);
  }

  private cachedStatus(userId: string): { status: UserRecord | undefined } | undefined {
    const cached = this.statusCache.get(userId);
    return cached && cached.until > Date.now() ? cached : undefined;
  }

  private async loadStatus(userId: string): Promise<UserRecord | undefined> {
    const status = await this.users.findById(userId);
    if (this.statusCache.size >= STATUS_CACHE_MAX) this.statusCache.clear();
    this.statusCache.set(userId, { status, until: Date.now() + STATUS_TTL_MS });
    return status;
  }
}

function jwtPrincipal(status: UserRecord | undefined, sessionLive: boolean, sessionId: string): Principal {
  if (!status || status.disabled) throw new UserDisabledError();
  if (!sessionLive) throw new SessionRevokedError();
  return { id: status.id, role: status.role, tier: status.tier, via: 'jwt', sessionId };
}
