import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { timingSafeEqual } from 'node:crypto';
import { AuthenticationService, InsufficientRoleError } from '@app/auth';
import { AppConfig } from '@app/platform';
import { OpsTokenError } from '../http/bearer-token.guard';
import { AuthenticatedRequest } from './auth.decorators';
import { authenticateRequest } from './auth.guard';

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Guards /health/detailed: open outside production while OPS_TOKEN is unset;
 * otherwise `Bearer $OPS_TOKEN`, or an admin's access token or API key.
 */
@Injectable()
export class OpsOrAdminGuard implements CanActivate {
  constructor(
    private readonly config: AppConfig,
    private readonly authentication: AuthenticationService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const expected = this.config.env.OPS_TOKEN;
    if (!expected && !this.config.isProduction) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const bearer = /^Bearer (.+)$/i.exec(request.headers.authorization ?? '')?.[1] ?? '';
    if (expected && bearer && safeEqual(bearer, expected)) return true;
    let principal;
    try {
      principal = await authenticateRequest(request, this.authentication);
    } catch {
      principal = undefined;
    }
    if (!principal) throw new OpsTokenError('/health/detailed');
    if (principal.role !== 'admin') throw new InsufficientRoleError(['admin']);
    return true;
  }
}
