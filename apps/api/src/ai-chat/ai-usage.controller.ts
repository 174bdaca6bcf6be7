import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { AiUsageService, ModelClient } from '@app/ai-chat';
import type { Principal } from '@app/auth';
import { CurrentUser } from '../auth/auth.decorators';
import { ApiProblems } from '../http/api-problem.decorator';
import { mapUsage, UsageQueryDto, UsageResponseDto } from './ai-chat.dto';
import { AiEnabledGuard } from './ai-enabled.guard';
import { AiProblems } from './ai-problems.decorator';

@ApiTags('ai')
@ApiBearerAuth('jwt')
@ApiSecurity('apiKey')
@UseGuards(AiEnabledGuard)
@Controller('ai/usage')
export class AiUsageController {
  constructor(
    private readonly usage: AiUsageService,
    private readonly model: ModelClient,
  ) {}

  @Get()
  @ApiOperation({ summary: "Today's AI chat quota of your tier, what is used, when it resets, and tokens per day." })
  @ApiOkResponse({ type: UsageResponseDto })
  @ApiProblems(400, 401, 429)
  @AiProblems(503)
  async get(@CurrentUser() user: Principal, @Query() query: UsageQueryDto): Promise<UsageResponseDto> {
    const report = await this.usage.report({ id: user.id, tier: user.tier }, new Date(), query.days ?? 7);
    return mapUsage(report, this.model.model);
  }
}
