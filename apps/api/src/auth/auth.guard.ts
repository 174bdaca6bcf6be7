import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { IncomingMessage } from 'node:http';
import { AuthenticationRequiredError, AuthenticationService, InsufficientRoleError, Principal, Role } from '@app/auth';
import { RequestLogContext } from '@app/platform';
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
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly routes = new WeakMap<object, RouteAccess>();

  constructor(
    private readonly reflector: Reflector,
    private readonly authentication: AuthenticationService,
  ) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const access = this.access(context);
    if (access.isPublic) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const principal = authenticateRequest(request, this.authentication);
    if (principal instanceof Promise) return principal.then((p) => admit(request, p, access.roles));
    return admit(request, principal, access.roles);
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
