import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { IncomingMessage } from 'node:http';
import { AuthenticationRequiredError, AuthenticationService, InsufficientRoleError, Principal, Role } from '@app/auth';
import { RequestLogContext } from '@app/platform';
import { AuthenticatedRequest, IS_PUBLIC, REQUIRED_ROLES } from './auth.decorators';

/** Reads the caller's credentials: X-API-Key first, else `Authorization: Bearer <jwt>`. */
export async function authenticateRequest(
  request: AuthenticatedRequest,
  authentication: AuthenticationService,
): Promise<Principal | undefined> {
  const apiKey = request.headers['x-api-key'];
  if (typeof apiKey === 'string' && apiKey.length > 0) return authentication.authenticateApiKey(apiKey);
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(.*)$/is.exec(header);
  if (!match) return undefined;
  // A malformed bearer value is an invalid token, not a missing one.
  return authentication.authenticateAccessToken(match[1].trim());
}

/**
 * The global guard: every route needs a valid access token or API key unless
 * it is `@Public()`; `@Roles(...)` then narrows by role. The user id goes onto
 * the raw request so the access log line carries it.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly authentication: AuthenticationService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC, targets)) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const principal = await authenticateRequest(request, this.authentication);
    if (!principal) throw new AuthenticationRequiredError();
    request.principal = principal;
    (request.raw as IncomingMessage & RequestLogContext).userId = principal.id;
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(REQUIRED_ROLES, targets);
    if (roles && roles.length > 0 && !roles.includes(principal.role)) throw new InsufficientRoleError(roles);
    return true;
  }
}
