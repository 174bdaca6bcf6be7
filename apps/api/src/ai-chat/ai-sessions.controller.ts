import {
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  Param,
  Post,
  Query,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiHeader,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiResponse,
  ApiSecurity,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AiChatService, AiSessionService } from '@app/ai-chat';
import type { Principal } from '@app/auth';
import { PageQueryDto } from '@app/platform';
import { CurrentUser } from '../auth/auth.decorators';
import { uuidPipe } from '../auth/uuid.pipe';
import { ApiProblems } from '../http/api-problem.decorator';
import { RateLimit } from '../throttle/rate-limit.decorator';
import {
  AiDoneEventDto,
  AiStartEventDto,
  AiTextEventDto,
  AiToolCallEventDto,
  AiToolResultEventDto,
  SSE_EVENTS_DOC,
} from './ai-chat-events.dto';
import {
  CreateSessionDto,
  ExchangeResponseDto,
  mapExchange,
  mapMessage,
  mapSession,
  MessageListResponseDto,
  ProposalSummaryDto,
  SendMessageDto,
  ChatSessionListResponseDto,
  ChatSessionResponseDto,
} from './ai-chat.dto';
import { AiEnabledGuard } from './ai-enabled.guard';
import { AiProblems } from './ai-problems.decorator';
import { streamAnswer, wantsEventStream } from './chat-stream';

const SSE_EVENTS = [AiStartEventDto, AiTextEventDto, AiToolCallEventDto, AiToolResultEventDto, AiDoneEventDto];

/** The event stream in OpenAPI: an example, and the `data` schema of every event type by name. */
const SSE_MEDIA = {
  schema: {
    type: 'string',
    description: 'event: start|text|tool_call|tool_result|proposal|done|error, data: JSON',
    example:
      'event: start\ndata: {"sessionId":"…","userMessageId":"…","model":"claude-sonnet-5-5"}\n\n' +
      'event: text\ndata: {"delta":"The kline run"}\n\n' +
      'event: done\ndata: {"messageId":"…","usage":{"inputTokens":812,"outputTokens":64},"message":{…}}\n\n',
  },
  'x-sse-events': {
    start: { $ref: getSchemaPath(AiStartEventDto) },
    text: { $ref: getSchemaPath(AiTextEventDto) },
    tool_call: { $ref: getSchemaPath(AiToolCallEventDto) },
    tool_result: { $ref: getSchemaPath(AiToolResultEventDto) },
    proposal: { $ref: getSchemaPath(ProposalSummaryDto) },
    done: { $ref: getSchemaPath(AiDoneEventDto) },
    error: { $ref: '#/components/schemas/ProblemDetails' },
  },
};

@ApiTags('ai')
@ApiBearerAuth('jwt')
@ApiSecurity('apiKey')
@UseGuards(AiEnabledGuard)
@Controller('ai/sessions')
export class AiSessionsController {
  constructor(
    private readonly sessions: AiSessionService,
    private readonly chat: AiChatService,
  ) {}

  @Post()
  @ApiOperation({
    summary: 'Start a chat session, optionally about one of your strategies and/or backtests.',
    description: 'The attached strategy and backtest are summarised for the assistant with every message.',
  })
  @ApiCreatedResponse({ type: ChatSessionResponseDto })
  @ApiProblems(400, 401, 404, 429)
  @AiProblems(503)
  async create(@CurrentUser() user: Principal, @Body() body: CreateSessionDto): Promise<ChatSessionResponseDto> {
    return mapSession(await this.sessions.create(user.id, body));
  }

  @Get()
  @ApiOperation({ summary: 'Your chat sessions, newest first.' })
  @ApiOkResponse({ type: ChatSessionListResponseDto })
  @ApiProblems(400, 401, 429)
  @AiProblems(503)
  async list(@CurrentUser() user: Principal, @Query() query: PageQueryDto): Promise<ChatSessionListResponseDto> {
    const page = await this.sessions.list(user.id, query.limit ?? 50, query.cursor);
    return { items: page.items.map(mapSession), nextCursor: page.nextCursor };
  }

  @Get(':id')
  @ApiOperation({ summary: 'One chat session.' })
  @ApiOkResponse({ type: ChatSessionResponseDto })
  @ApiProblems(400, 401, 404, 429)
  @AiProblems(503)
  async get(@CurrentUser() user: Principal, @Param('id', uuidPipe()) id: string): Promise<ChatSessionResponseDto> {
    return mapSession(await this.sessions.get(user.id, id));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a chat session with its messages and proposals.' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiProblems(400, 401, 404, 429)
  @AiProblems(503)
  async delete(@CurrentUser() user: Principal, @Param('id', uuidPipe()) id: string): Promise<void> {
    await this.sessions.delete(user.id, id);
  }

  @Get(':id/messages')
  @ApiOperation({ summary: "A session's messages, newest first, with tool calls, token usage and proposals." })
  @ApiOkResponse({ type: MessageListResponseDto })
  @ApiProblems(400, 401, 404, 429)
  @AiProblems(503)
  async messages(
    @CurrentUser() user: Principal,
    @Param('id', uuidPipe()) id: string,
    @Query() query: PageQueryDto,
  ): Promise<MessageListResponseDto> {
    const page = await this.sessions.messagesOf(user.id, id, query.limit ?? 50, query.cursor);
    return { items: page.items.map(mapMessage), nextCursor: page.nextCursor };
  }

  @Post(':id/messages')
  @RateLimit('aiChat')
  @ApiOperation({
    summary: 'Send a message and get the answer: JSON (201), or streamed as server-sent events (200).',
    description:
      'Counts against the daily quota of your tier (429 AI_QUOTA_EXCEEDED with the reset time). The assistant may ' +
      'read your strategies, backtests and market coverage and propose a strategy; the answer holds those tool ' +
      `calls and results. ${SSE_EVENTS_DOC}`,
  })
  @ApiHeader({ name: 'Accept', required: false, description: '`text/event-stream` to stream the answer' })
  @ApiProduces('application/json', 'text/event-stream')
  @ApiExtraModels(...SSE_EVENTS, ProposalSummaryDto)
  @ApiCreatedResponse({
    type: ExchangeResponseDto,
    description: 'The stored question and answer (Accept: application/json)',
  })
  @ApiResponse({
    status: 200,
    description: `Accept: text/event-stream. ${SSE_EVENTS_DOC}`,
    content: { 'text/event-stream': SSE_MEDIA },
  })
  @ApiProblems(400, 401, 404, 429, 500)
  @AiProblems(502, 503, 504)
  async send(
    @CurrentUser() user: Principal,
    @Param('id', uuidPipe()) id: string,
    @Body() body: SendMessageDto,
    @Headers('accept') accept: string | undefined,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ExchangeResponseDto | undefined> {
    const pending = await this.chat.accept({ id: user.id, tier: user.tier }, id, body.content);
    if (wantsEventStream(accept)) {
      await streamAnswer(this.chat, pending, request, reply);
      return undefined;
    }
    return mapExchange(await this.chat.answer(pending, { stream: false, sink: () => undefined }));
  }
}
