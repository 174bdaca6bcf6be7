import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { Principal } from '@app/auth';
import { PageQueryDto, ValidationFailedError } from '@app/platform';
import { BacktestEvents, BacktestQueryService, BacktestSubmitService, TIERS } from '@app/tiered-backtests';
import { CurrentUser } from '../auth/auth.decorators';
import { uuidPipe } from '../auth/uuid.pipe';
import { ApiProblems } from '../http/api-problem.decorator';
import { SseStream } from '../http/sse-stream';
import { RateLimit } from '../throttle/rate-limit.decorator';
import { streamBacktest } from './backtest-stream';
import {
  BacktestListQueryDto,
  BacktestListResponseDto,
  BacktestResponseDto,
  CompareBacktestsDto,
  ComparisonResponseDto,
  CreateBacktestDto,
  EquityQueryDto,
  EquityResponseDto,
  mapBacktest,
  TiersResponseDto,
  TradeListResponseDto,
} from './tiered-backtests.dto';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

@ApiTags('tiered-backtests')
@ApiBearerAuth('jwt')
@ApiSecurity('apiKey')
@Controller('tiered-backtests')
export class TieredBacktestsController {
  constructor(
    private readonly submitter: BacktestSubmitService,
    private readonly query: BacktestQueryService,
    private readonly events: BacktestEvents,
  ) {}

  @Get('tiers')
  @ApiOperation({ summary: "The tier table, and the caller's use of it today (quota, running count)." })
  @ApiOkResponse({ type: TiersResponseDto })
  @ApiProblems(401)
  async tiers(@CurrentUser() user: Principal): Promise<TiersResponseDto> {
    const usage = await this.query.usage(user.id, user.tier);
    return { tiers: Object.values(TIERS), tier: user.tier, usage: usage.usage };
  }

  @Post()
  @HttpCode(202)
  @RateLimit('backtest')
  @ApiOperation({
    summary:
      'Submit a backtest. Validated against the tier table, the stored data, the daily quota and the concurrency limit; answers 202 with the queued backtest.',
  })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'A retried submission with the same key returns the same backtest',
  })
  @ApiAcceptedResponse({ type: BacktestResponseDto })
  @ApiProblems(400, 401, 403, 404, 422, 429, 503)
  async submit(
    @CurrentUser() user: Principal,
    @Body() body: CreateBacktestDto,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<BacktestResponseDto> {
    if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
      throw new ValidationFailedError([
        { field: 'Idempotency-Key', message: 'must be 1-200 visible ASCII characters' },
      ]);
    }
    const { backtest, replayed } = await this.submitter.submit(user, body, key);
    if (replayed) void reply.header('idempotent-replayed', 'true');
    return mapBacktest(backtest);
  }

  @Post('compare')
  @HttpCode(202)
  @RateLimit('backtest')
  @ApiOperation({
    summary: 'Run one strategy at every precision the tier allows (one job each) and compare them when all finish.',
  })
  @ApiAcceptedResponse({ type: ComparisonResponseDto })
  @ApiProblems(400, 401, 403, 404, 422, 429, 503)
  async compare(@CurrentUser() user: Principal, @Body() body: CompareBacktestsDto): Promise<ComparisonResponseDto> {
    const { comparisonId, backtests } = await this.submitter.compare(user, body);
    return { id: comparisonId, status: 'running', backtests: backtests.map((b) => mapBacktest(b)), report: null };
  }

  @Get('compare/:id')
  @ApiOperation({ summary: "A comparison's backtests and, once all ended, the report of how and why they differ." })
  @ApiOkResponse({ type: ComparisonResponseDto })
  @ApiProblems(400, 401, 404)
  async comparison(
    @CurrentUser() user: Principal,
    @Param('id', uuidPipe()) id: string,
  ): Promise<ComparisonResponseDto> {
    const { backtests, report } = await this.query.comparison(user.id, id);
    return { id, status: report ? 'finished' : 'running', backtests: backtests.map((b) => mapBacktest(b)), report };
  }

  @Get()
  @ApiOperation({ summary: "The caller's backtests, newest first." })
  @ApiOkResponse({ type: BacktestListResponseDto })
  @ApiProblems(400, 401)
  async list(@CurrentUser() user: Principal, @Query() q: BacktestListQueryDto): Promise<BacktestListResponseDto> {
    const { limit, cursor, ...filter } = q;
    const page = await this.query.list(user.id, filter, { limit, cursor });
    return { items: page.items.map((b) => mapBacktest(b)), nextCursor: page.nextCursor };
  }

  @Get(':id')
  @ApiOperation({ summary: 'Status, progress, timings and, once completed, the result summary.' })
  @ApiOkResponse({ type: BacktestResponseDto })
  @ApiProblems(400, 401, 404)
  async get(@CurrentUser() user: Principal, @Param('id', uuidPipe()) id: string): Promise<BacktestResponseDto> {
    const view = await this.query.get(user.id, id);
    return mapBacktest(view.backtest, view.result);
  }

  @Get(':id/trades')
  @ApiOperation({ summary: 'The trades of a completed backtest, in time order.' })
  @ApiOkResponse({ type: TradeListResponseDto })
  @ApiProblems(400, 401, 404, 409)
  async trades(
    @CurrentUser() user: Principal,
    @Param('id', uuidPipe()) id: string,
    @Query() q: PageQueryDto,
  ): Promise<TradeListResponseDto> {
    const page = await this.query.trades(user.id, id, q);
    const iso = (t: number) => new Date(t).toISOString();
    return {
      items: page.items.map(({ seq: _seq, ...t }) => ({
        ...t,
        entryTime: iso(t.entryTime),
        exitTime: iso(t.exitTime),
      })),
      nextCursor: page.nextCursor,
    };
  }

  @Get(':id/equity')
  @ApiOperation({ summary: 'The equity curve downsampled to `points` (first, last and every bucket’s extremes kept).' })
  @ApiOkResponse({ type: EquityResponseDto })
  @ApiProblems(400, 401, 404, 409)
  async equity(
    @CurrentUser() user: Principal,
    @Param('id', uuidPipe()) id: string,
    @Query() q: EquityQueryDto,
  ): Promise<EquityResponseDto> {
    return this.query.equity(user.id, id, q.points);
  }

  @Get(':id/events')
  @ApiProduces('text/event-stream')
  @ApiOperation({
    summary: 'Server-Sent Events of one backtest until it ends.',
    description:
      'Events: `status` `{id, status, progress}` now and on each change; `progress` `{id, progress}` (0-100) as the worker publishes it ' +
      '(at least every 5% or every second of a long run); `summary` — the backtest resource with its result — last, then the stream ends. ' +
      'Works behind any number of API instances (the queue’s events fan out to each).',
  })
  @ApiOkResponse({ description: 'text/event-stream', content: { 'text/event-stream': { schema: { type: 'string' } } } })
  @ApiProblems(400, 401, 404)
  async stream(
    @CurrentUser() user: Principal,
    @Param('id', uuidPipe()) id: string,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    // A backtest that is not the caller's answers 404 as problem details, before the stream opens.
    await streamBacktest(() => SseStream.hijack(reply), this.query, this.events, user.id, id);
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Cancel: a queued backtest is removed; a running one stops at its next progress point.' })
  @ApiOkResponse({ type: BacktestResponseDto })
  @ApiProblems(400, 401, 404)
  async cancel(@CurrentUser() user: Principal, @Param('id', uuidPipe()) id: string): Promise<BacktestResponseDto> {
    return mapBacktest(await this.query.cancel(user.id, id));
  }
}
