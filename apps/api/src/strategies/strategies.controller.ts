import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import { strategyJsonSchema, strategyTemplates } from '@app/engine';
import type { Principal } from '@app/auth';
import { PageQueryDto } from '@app/platform';
import {
  CreateStrategyDto,
  mapStrategy,
  mapStrategyVersion,
  StrategyListQueryDto,
  StrategyListResponseDto,
  StrategyResponseDto,
  StrategyService,
  StrategyTemplateListResponseDto,
  StrategyVersionListResponseDto,
  UpdateStrategyDto,
} from '@app/strategies';
import { CurrentUser } from '../auth/auth.decorators';
import { uuidPipe } from '../auth/uuid.pipe';
import { ApiProblems } from '../http/api-problem.decorator';

@ApiTags('strategies')
@ApiBearerAuth('jwt')
@ApiSecurity('apiKey')
@Controller('strategies')
export class StrategiesController {
  constructor(private readonly strategies: StrategyService) {}

  @Get('schema')
  @ApiOperation({ summary: 'The JSON Schema of a strategy definition (engine version 1).' })
  @ApiOkResponse({ schema: { type: 'object', additionalProperties: true } })
  @ApiProblems(401)
  schema(): object {
    return strategyJsonSchema;
  }

  @Get('templates')
  @ApiOperation({
    summary: 'Ready strategies to start from: SMA cross, RSI mean reversion, Bollinger, MACD, Donchian.',
  })
  @ApiOkResponse({ type: StrategyTemplateListResponseDto })
  @ApiProblems(401)
  templates(): StrategyTemplateListResponseDto {
    return { items: strategyTemplates.map((t) => ({ ...t })) };
  }

  @Post()
  @ApiOperation({
    summary:
      'Create a strategy; its definition becomes version 1. Invalid definitions: 400 STRATEGY_INVALID with JSON paths.',
  })
  @ApiCreatedResponse({ type: StrategyResponseDto })
  @ApiProblems(400, 401)
  async create(@CurrentUser() user: Principal, @Body() body: CreateStrategyDto): Promise<StrategyResponseDto> {
    return mapStrategy(await this.strategies.create(user.id, body));
  }

  @Get()
  @ApiOperation({ summary: "The caller's strategies, newest first." })
  @ApiOkResponse({ type: StrategyListResponseDto })
  @ApiProblems(400, 401)
  async list(@CurrentUser() user: Principal, @Query() query: StrategyListQueryDto): Promise<StrategyListResponseDto> {
    const page = await this.strategies.list(user.id, query);
    return { items: page.items.map(mapStrategy), nextCursor: page.nextCursor };
  }

  @Get(':id')
  @ApiOperation({ summary: 'One strategy with its latest definition.' })
  @ApiOkResponse({ type: StrategyResponseDto })
  @ApiProblems(400, 401, 404)
  async get(@CurrentUser() user: Principal, @Param('id', uuidPipe()) id: string): Promise<StrategyResponseDto> {
    return mapStrategy(await this.strategies.get(user.id, id));
  }

  @Patch(':id')
  @ApiOperation({
    summary: 'Change name, description, tags or definition; a changed definition becomes the next version.',
  })
  @ApiOkResponse({ type: StrategyResponseDto })
  @ApiProblems(400, 401, 404)
  async update(
    @CurrentUser() user: Principal,
    @Param('id', uuidPipe()) id: string,
    @Body() body: UpdateStrategyDto,
  ): Promise<StrategyResponseDto> {
    return mapStrategy(await this.strategies.update(user.id, id, body));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a strategy; kept (hidden) while backtests reference one of its versions.' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiProblems(400, 401, 404)
  async delete(@CurrentUser() user: Principal, @Param('id', uuidPipe()) id: string): Promise<void> {
    await this.strategies.delete(user.id, id);
  }

  @Get(':id/versions')
  @ApiOperation({ summary: 'Every version of a strategy, newest first; versions are immutable.' })
  @ApiOkResponse({ type: StrategyVersionListResponseDto })
  @ApiProblems(400, 401, 404)
  async versions(
    @CurrentUser() user: Principal,
    @Param('id', uuidPipe()) id: string,
    @Query() query: PageQueryDto,
  ): Promise<StrategyVersionListResponseDto> {
    const page = await this.strategies.versions(user.id, id, query);
    return { items: page.items.map(mapStrategyVersion), nextCursor: page.nextCursor };
  }
}
