import { Controller, Get, Headers, Query, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiResponse,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CachedBody, InstrumentRecord, MarketReadService, formatTimeframe } from '@app/market';
import type { Principal } from '@app/auth';
import { CurrentUser } from '../auth/auth.decorators';
import { ApiProblems } from '../http/api-problem.decorator';
import { RateLimit } from '../throttle/rate-limit.decorator';
import {
  CandlesQueryDto,
  CandlesResponseDto,
  CoverageResponseDto,
  InstrumentListResponseDto,
  InstrumentQueryDto,
  InstrumentResponseDto,
  RangeQueryDto,
  SymbolQueryDto,
  TickerResponseDto,
  TradesQueryDto,
  TradesResponseDto,
} from './market.dto';

export function mapInstrument(i: InstrumentRecord): InstrumentResponseDto {
  return {
    id: i.id,
    exchange: i.exchange,
    symbol: i.symbol,
    base: i.base,
    quote: i.quote,
    pricePrecision: i.pricePrecision,
    amountPrecision: i.amountPrecision,
    status: i.status,
    storedTimeframe: i.candleTimeframeMs === null ? null : formatTimeframe(i.candleTimeframeMs),
    hasTrades: i.hasTrades,
    metadata: i.metadata,
  };
}

/**
 * Sends a cached body with its ETag, or 304 when the client already holds it. Clients revalidate
 * on every use (`no-cache`): the ETag changes with each import that adds rows to the series.
 */
function send(reply: FastifyReply, result: CachedBody | { etag: string; notModified: true }): Buffer | undefined {
  reply.header('etag', result.etag);
  reply.header('cache-control', 'private, no-cache');
  if ('notModified' in result) {
    reply.status(304);
    return undefined;
  }
  reply.header('content-type', 'application/json; charset=utf-8');
  return result.body;
}

const IF_NONE_MATCH = {
  name: 'If-None-Match',
  required: false,
  description: 'ETag of a previous answer: 304 when unchanged',
};

@ApiTags('market')
@ApiBearerAuth('jwt')
@ApiSecurity('apiKey')
@RateLimit('marketData')
@Controller('market')
export class MarketController {
  constructor(private readonly market: MarketReadService) {}

  @Get('instruments')
  @ApiOperation({ summary: 'Instruments with stored market data, by exchange and symbol.' })
  @ApiOkResponse({ type: InstrumentListResponseDto })
  @ApiProblems(400, 401, 429)
  async instruments(@Query() query: InstrumentQueryDto): Promise<InstrumentListResponseDto> {
    return { items: (await this.market.listInstruments(query)).map(mapInstrument) };
  }

  @Get('candles')
  @ApiOperation({
    summary: 'Candles of any timeframe the stored data can make, aggregated on the fly from the finest stored.',
    description:
      'Bars are arrays in the order of `columns` (openTime in epoch ms, then open, high, low, close, volume). ' +
      'Without `from`: the latest `limit` bars before `to` (or before the end of the data). With `from`: at most ' +
      '`limit` bars from there; `truncated` and `next` tell where to continue. Gaps in the data stay gaps.',
  })
  @ApiHeader(IF_NONE_MATCH)
  @ApiOkResponse({
    type: CandlesResponseDto,
    headers: { ETag: { description: 'changes with every import', schema: { type: 'string' } } },
  })
  @ApiResponse({ status: 304, description: 'Not modified' })
  @ApiProblems(400, 401, 404, 422, 429)
  async candles(
    @Query() query: CandlesQueryDto,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
    @CurrentUser() user: Principal,
  ): Promise<Buffer | undefined> {
    return send(reply, await this.market.candles(query, ifNoneMatch, user));
  }

  @Get('trades')
  @ApiOperation({
    summary: 'Trade prints: the latest `limit` before `to`, or the first `limit` from `from`.',
  })
  @ApiHeader(IF_NONE_MATCH)
  @ApiOkResponse({ type: TradesResponseDto })
  @ApiResponse({ status: 304, description: 'Not modified' })
  @ApiProblems(400, 401, 404, 429)
  async trades(
    @Query() query: TradesQueryDto,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
    @CurrentUser() user: Principal,
  ): Promise<Buffer | undefined> {
    return send(reply, await this.market.trades(query, ifNoneMatch, user));
  }

  @Get('ticker')
  @ApiOperation({ summary: 'Last price and the 24 hours of stored data ending at the newest bar or print.' })
  @ApiHeader(IF_NONE_MATCH)
  @ApiOkResponse({ type: TickerResponseDto })
  @ApiResponse({ status: 304, description: 'Not modified' })
  @ApiProblems(400, 401, 404, 429)
  async ticker(
    @Query() query: SymbolQueryDto,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
    @CurrentUser() user: Principal,
  ): Promise<Buffer | undefined> {
    return send(reply, await this.market.ticker(query, ifNoneMatch, user));
  }

  @Get('coverage')
  @ApiOperation({
    summary: 'What is stored in a range: first and last bar, count, every gap of the candles; the trades.',
    description: 'Answers "can I backtest this range?" before a backtest is submitted.',
  })
  @ApiHeader(IF_NONE_MATCH)
  @ApiOkResponse({ type: CoverageResponseDto })
  @ApiResponse({ status: 304, description: 'Not modified' })
  @ApiProblems(400, 401, 404, 429)
  async coverage(
    @Query() query: RangeQueryDto,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
    @CurrentUser() user: Principal,
  ): Promise<Buffer | undefined> {
    return send(reply, await this.market.coverage(query, ifNoneMatch, user));
  }
}
