import { CanActivate, ExecutionContext, Injectable, mixin, Type } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AppConfig, AppError, safeEqual } from '@app/platform';

export class OpsTokenError extends AppError {
  constructor(what: string) {
    super('OPS_TOKEN_REQUIRED', 'unauthenticated', `${what} requires Authorization: Bearer <token>.`);
  }
}

/**
 * Guards an ops route with a static bearer token from config. `required` says
 * when the token is needed: always when the variable is set, and in production
 * even when it is not (then nobody gets in).
 */
export function BearerTokenGuard(variable: 'OPS_TOKEN' | 'METRICS_TOKEN', what: string, requireInProduction: boolean) {
  @Injectable()
  class TokenGuard implements CanActivate {
    constructor(readonly config: AppConfig) {}

    canActivate(context: ExecutionContext): boolean {
      const expected = this.config.env[variable];
      if (!expected && !(requireInProduction && this.config.isProduction)) return true;
      const header = context.switchToHttp().getRequest<FastifyRequest>().headers.authorization ?? '';
      const token = /^Bearer (.+)$/i.exec(header)?.[1] ?? '';
      if (expected && safeEqual(token, expected)) return true;
      throw new OpsTokenError(what);
    }
  }
  return mixin(TokenGuard) as Type<CanActivate>;
}
