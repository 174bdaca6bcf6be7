import { Controller, Get, HttpCode, Res, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiOkResponse,
  ApiOperation,
  ApiSecurity,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { HealthCheckResult, HealthCheckService, HealthIndicatorResult } from '@nestjs/terminus';
import { SkipThrottle } from '@nestjs/throttler';
import type { FastifyReply } from 'fastify';
import { PlatformHealth } from '@app/platform';
import { ApiProblems } from '../http/api-problem.decorator';
import { Public } from '../auth/auth.decorators';
import { OpsOrAdminGuard } from '../auth/ops-or-admin.guard';

const HEALTH_SCHEMA = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['ok', 'error', 'shutting_down'] },
    info: { type: 'object', additionalProperties: true },
    error: { type: 'object', additionalProperties: true },
    details: { type: 'object', additionalProperties: true },
  },
};

@ApiTags('health')
@Public()
// Probes and scrapes are never throttled.
@SkipThrottle()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly platform: PlatformHealth,
  ) {}

  @Get()
  @HttpCode(200)
  @ApiOperation({ summary: 'Liveness: the process answers. Checks no dependency.' })
  @ApiOkResponse({ schema: { type: 'object', properties: { status: { type: 'string', example: 'ok' } } } })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({ summary: 'Readiness: database reachable with migrations current, and the job queue reachable.' })
  @ApiOkResponse({ schema: HEALTH_SCHEMA })
  @ApiServiceUnavailableResponse({ description: 'A dependency is down; the body says which.', schema: HEALTH_SCHEMA })
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthCheckResult> {
    return this.run(reply, [
      () => this.platform.database({ details: false }),
      () => this.platform.queue({ details: false }),
    ]);
  }

  @Get('detailed')
  @UseGuards(OpsOrAdminGuard)
  @ApiSecurity('opsToken')
  @ApiBearerAuth('jwt')
  @ApiSecurity('apiKey')
  @ApiOperation({
    summary:
      'Everything ops watches: database, queue, Redis, memory, event loop, version. Requires OPS_TOKEN or an admin in production.',
  })
  @ApiOkResponse({ schema: HEALTH_SCHEMA })
  @ApiServiceUnavailableResponse({
    description: 'Some dependency is down; the body says which.',
    schema: HEALTH_SCHEMA,
  })
  @ApiProblems(401, 403)
  async detailed(
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<HealthCheckResult & Record<string, unknown>> {
    const result = await this.run(reply, [
      () => this.platform.database({ details: true }),
      () => this.platform.queue({ details: true }),
      () => this.platform.redisCheck(),
      () => this.platform.memory(),
    ]);
    // Event-loop lag is reported, not judged: a busy loop must not take the pod out of rotation.
    return { ...result, eventLoop: this.platform.eventLoop().eventLoop, ...this.platform.info() };
  }

  private async run(
    reply: FastifyReply,
    checks: Array<() => Promise<HealthIndicatorResult> | HealthIndicatorResult>,
  ): Promise<HealthCheckResult> {
    try {
      return await this.health.check(checks);
    } catch (err) {
      const body = (err as { getResponse?: () => unknown }).getResponse?.();
      if (!body) throw err;
      void reply.status(503);
      return body as HealthCheckResult;
    }
  }
}
