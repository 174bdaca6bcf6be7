import { Injectable, Logger } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { createHmac, createSecretKey, KeyObject, randomBytes, randomUUID } from 'node:crypto';
import { AppConfig } from '@app/platform';
import { AccessTokenExpiredError, AccessTokenInvalidError } from './auth.errors';
import { Role, Tier } from './user.entity';

export const ACCESS_TOKEN_TTL_SECONDS = 15 * 60;
export const REFRESH_TOKEN_TTL_SECONDS = 7 * 24 * 60 * 60;

export interface AccessClaims {
  sub: string;
  role: Role;
  tier: Tier;
  jti: string;
  /** The refresh-token family (session) the token was issued for. */
  sid: string;
}

const ALGORITHM = 'HS256';
/** Verified tokens remembered at most; past it the oldest is forgotten (and verified again when next seen). */
const VERIFIED_MAX = 10_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Signs and verifies access tokens: HS256 under JWT_SECRET, issuer and audience always checked. */
@Injectable()
export class TokenService {
  private readonly logger = new Logger(TokenService.name);
  private readonly jwt: JwtService;
  /**
   * Tokens whose signature, issuer and audience were checked, by their full text,
   * with their expiry: a client sends the same token for up to 15 minutes, and
   * the HMAC and JSON parsing were most of an authenticated request's CPU.
   */
  private readonly verified = new Map<string, { claims: AccessClaims; expiresAtMs: number }>();
  private readonly rotationKey: KeyObject;

  constructor(private readonly config: AppConfig) {
    let secret = config.env.JWT_SECRET;
    if (!secret) {
      // Production refuses to start without JWT_SECRET (see loadConfig); elsewhere a
      // per-process secret keeps a fresh checkout working, at the price of tokens dying on restart.
      secret = randomBytes(48).toString('base64');
      this.logger.warn('JWT_SECRET is not set: signing access tokens with a random per-process secret.');
    }
    // A KeyObject, not the string: jsonwebtoken otherwise first tries (and fails) to parse
    // the string as a PEM public key on every sign and verify, which dominated a request's CPU.
    this.jwt = new JwtService({ secret: createSecretKey(Buffer.from(secret, 'utf8')) });
    // A key of its own for refresh-token rotation, so that no HMAC it computes is also a valid token signature.
    this.rotationKey = createSecretKey(createHmac('sha256', secret).update('refresh-token-rotation').digest());
  }

  /**
   * The refresh token that replaces `refreshToken` when it is rotated: derived,
   * not random, so that a second request presenting the same token moments
   * later (two tabs refreshing at once) can be answered with the same successor
   * on any instance without storing it. Only its hash is stored, and deriving it
   * needs both the old token and JWT_SECRET.
   */
  successorOf(refreshToken: string): string {
    return createHmac('sha256', this.rotationKey).update(refreshToken, 'utf8').digest('base64url');
  }

  sign(claims: Omit<AccessClaims, 'jti'>): { token: string; expiresIn: number } {
    const token = this.jwt.sign(
      { role: claims.role, tier: claims.tier, sid: claims.sid },
      {
        algorithm: ALGORITHM,
        subject: claims.sub,
        jwtid: randomUUID(),
        issuer: this.config.env.JWT_ISSUER,
        audience: this.config.env.JWT_AUDIENCE,
        expiresIn: ACCESS_TOKEN_TTL_SECONDS,
      },
    );
    return { token, expiresIn: ACCESS_TOKEN_TTL_SECONDS };
  }

  /** Returns the claims of a valid token; throws ACCESS_TOKEN_EXPIRED or ACCESS_TOKEN_INVALID. */
  verify(token: string): AccessClaims {
    const known = this.verified.get(token);
    if (known) {
      // jsonwebtoken's rule: expired from the second `exp` names.
      if (Date.now() < known.expiresAtMs) return known.claims;
      this.verified.delete(token);
      throw new AccessTokenExpiredError();
    }
    const { claims, exp } = this.verifySignature(token);
    if (this.verified.size >= VERIFIED_MAX) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, { claims, expiresAtMs: exp * 1000 });
    return claims;
  }

  private verifySignature(token: string): { claims: AccessClaims; exp: number } {
    let payload: Record<string, unknown>;
    try {
      payload = this.jwt.verify<Record<string, unknown>>(token, {
        algorithms: [ALGORITHM],
        issuer: this.config.env.JWT_ISSUER,
        audience: this.config.env.JWT_AUDIENCE,
      });
    } catch (err) {
      if ((err as { name?: string }).name === 'TokenExpiredError') throw new AccessTokenExpiredError();
      throw new AccessTokenInvalidError();
    }
    const { sub, role, tier, jti, sid, exp } = payload;
    if (
      typeof sub !== 'string' ||
      !UUID.test(sub) ||
      typeof jti !== 'string' ||
      typeof sid !== 'string' ||
      !UUID.test(sid) ||
      typeof exp !== 'number'
    ) {
      throw new AccessTokenInvalidError();
    }
    return { claims: { sub, role: role as Role, tier: tier as Tier, jti, sid }, exp };
  }
}
