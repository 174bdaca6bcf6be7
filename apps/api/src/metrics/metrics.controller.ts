import { Controller, Get, Res, UseGuards } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { PrometheusController } from '@willsoto/nestjs-prometheus';
import { SkipThrottle } from '@nestjs/throttler';
import type { FastifyReply } from 'fastify';
import { ApiProblems } from '../http/api-problem.decorator';
import { Public } from '../auth/auth.decorators';
import { BearerTokenGuard } from '../http/bearer-token.guard';

@ApiTags('ops')
@Public()
// Probes and scrapes are never throttled.
@SkipThrottle()
@Controller()
export class MetricsController extends PrometheusController {
  @Get()
  @UseGuards(BearerTokenGuard('METRICS_TOKEN', '/metrics', false))
  @ApiSecurity('opsToken')
  @ApiOperation({ summary: 'Prometheus metrics (text format). Requires METRICS_TOKEN when it is set.' })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'Prometheus exposition format', schema: { type: 'string' } })
  @ApiProblems(401)
  override async index(@Res({ passthrough: true }) response: FastifyReply): Promise<string> {
    return super.index(response);
  }
}
