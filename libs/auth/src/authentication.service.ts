import { Injectable } from '@nestjs/common';
import { ApiKeyRepository } from './api-key.repository';
import { ApiKeyInvalidError, UserDisabledError } from './auth.errors';
import { sha256Hex } from './domain/secrets';
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

@Injectable()
export class AuthenticationService {
  private readonly statusCache = new Map<string, { status: UserRecord | undefined; until: number }>();

  constructor(
    private readonly tokens: TokenService,
    private readonly users: UserRepository,
    private readonly apiKeys: ApiKeyRepository,
  ) {}

  /**
   * Verifies an access token and reads the user's current state: role and tier
   * come from the user row, not the token, so an admin's change applies at once.
   * Answers synchronously when the user's state is cached (the common case), so
   * the guard adds no promise to every request.
   */
  authenticateAccessToken(token: string): Principal | Promise<Principal> {
    const claims = this.tokens.verify(token);
    const cached = this.cachedStatus(claims.sub);
    if (cached) return jwtPrincipal(cached.status, claims.sid);
    return this.loadStatus(claims.sub).then((status) => jwtPrincipal(status, claims.sid));
  }

  async authenticateApiKey(key: string): Promise<Principal> {
    if (key.length > 200) throw new ApiKeyInvalidError();
    const owner = await this.apiKeys.findOwnerByHash(sha256Hex(key));
    if (!owner) throw new ApiKeyInvalidError();
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

function jwtPrincipal(status: UserRecord | undefined, sessionId: string): Principal {
  if (!status || status.disabled) throw new UserDisabledError();
  return { id: status.id, role: status.role, tier: status.tier, via: 'jwt', sessionId };
}
