import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { AuthenticationRequiredError, AuthenticationService, InsufficientRoleError, Principal, Role } from '@app/auth';
import { RequestLogContext } from '@app/platform';
import { AuthFailureLimiter } from '../throttle/auth-failure-limiter.service';
import { rateLimited } from '../throttle/throttle.guard';
import { AuthenticatedRequest, IS_PUBLIC, REQUIRED_ROLES } from './auth.decorators';

/**
 * Reads the caller's credentials: X-API-Key first, else `Authorization: Bearer <jwt>`.
 * A JWT whose user is cached is answered without a promise.
 */
export function authenticateRequest(
  request: AuthenticatedRequest,
  authentication: AuthenticationService,
): Principal | undefined | Promise<Principal> {
  const apiKey = request.headers['x-api-key'];
  if (typeof apiKey === 'string' && apiKey.length > 0) return authentication.authenticateApiKey(apiKey);
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(.*)$/is.exec(header);
  if (!match) return undefined;
  // A malformed bearer value is an invalid token, not a missing one.
  return authentication.authenticateAccessToken(match[1].trim());
}

interface RouteAccess {
  isPublic: boolean;
  roles: readonly Role[];
}

/**
 * The global guard: every route needs a valid access token or API key unless
 * it is `@Public()`; `@Roles(...)` then narrows by role. The user id goes onto
 * the raw request so the access log line carries it. A route's metadata is read
 * once; a public route or a cached caller is decided synchronously.
 * Invalid credentials count against the client address (AuthFailureLimiter);
 * a blocked address is refused with 429 before any authentication work.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly routes = new WeakMap<object, RouteAccess>();

  constructor(
    private readonly reflector: Reflector,
    private readonly authentication: AuthenticationService,
    private readonly failures: AuthFailureLimiter,
  ) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const access = this.access(context);
    if (access.isPublic) return true;
    const http = context.switchToHttp();
    const request = http.getRequest<AuthenticatedRequest>();
    const blockedFor = this.failures.blockedFor(request);
    if (blockedFor > 0) throw rateLimited(blockedFor, request, http.getResponse<FastifyReply>());
    let principal: Principal | undefined | Promise<Principal>;
    try {
      principal = authenticateRequest(request, this.authentication);
    } catch (err) {
      return this.failed(err, request, http.getResponse<FastifyReply>());
    }
    if (principal instanceof Promise) {
      return principal.then(
        (p) => admit(request, p, access.roles),
        (err: unknown) => this.failed(err, request, http.getResponse<FastifyReply>()),
      );
    }
    return admit(request, principal, access.roles);
  }

  /** Rethrows an authentication error, or the 429 it earns when it was one failure too many. */
  private failed(err: unknown, request: AuthenticatedRequest, reply: FastifyReply): never | Promise<never> {
    if (!this.failures.counts(err)) throw err;
    const blocked = this.failures.fail(request.ip);
    const answer = (seconds: number): never => {
      throw seconds > 0 ? rateLimited(seconds, request, reply) : err;
    };
    return blocked instanceof Promise ? blocked.then(answer) : answer(blocked);
  }

  private access(context: ExecutionContext): RouteAccess {
    const handler = context.getHandler();
    let access = this.routes.get(handler);
    if (!access) {
      const targets = [handler, context.getClass()];
      access = {
        isPublic: this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC, targets) === true,
        roles: this.reflector.getAllAndOverride<Role[] | undefined>(REQUIRED_ROLES, targets) ?? [],
      };
      this.routes.set(handler, access);
    }
    return access;
  }
}

function admit(request: AuthenticatedRequest, principal: Principal | undefined, roles: readonly Role[]): true {
  if (!principal) throw new AuthenticationRequiredError();
  request.principal = principal;
  (request.raw as IncomingMessage & RequestLogContext).userId = principal.id;
  if (roles.length > 0 && !roles.includes(principal.role)) throw new InsufficientRoleError([...roles]);
  return true;
}
