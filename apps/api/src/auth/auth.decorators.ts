import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Principal, RequestMeta, Role } from '@app/auth';

export const IS_PUBLIC = 'auth:public';
export const REQUIRED_ROLES = 'auth:roles';

/** The route needs no authentication (the global AuthGuard lets it through). */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/** The caller must hold one of these roles (403 INSUFFICIENT_ROLE otherwise). */
export const Roles = (...roles: Role[]) => SetMetadata(REQUIRED_ROLES, roles);

export type AuthenticatedRequest = FastifyRequest & { principal?: Principal };

/** The authenticated caller: `{ id, role, tier, via, sessionId? }`. */
export const CurrentUser = createParamDecorator((_: unknown, context: ExecutionContext): Principal => {
  const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
  // The global guard runs first; a handler on a @Public() route has no principal to ask for.
  if (!principal) throw new Error('@CurrentUser() used on a route without authentication');
  return principal;
});

/** Client address (X-Forwarded-For only from TRUST_PROXY) and request id, for the audit log. */
export const ClientMeta = createParamDecorator((_: unknown, context: ExecutionContext): RequestMeta => {
  const request = context.switchToHttp().getRequest<FastifyRequest>();
  return { ip: request.ip, requestId: request.id };
});
