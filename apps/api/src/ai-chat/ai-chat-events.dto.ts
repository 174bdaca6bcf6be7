import { ApiProperty } from '@nestjs/swagger';
import { MessageResponseDto, TokenUsageDto } from './ai-chat.dto';

/** `data` of each server-sent event of POST /ai/sessions/:id/messages with Accept: text/event-stream. */

export class AiStartEventDto {
  @ApiProperty({ format: 'uuid' }) sessionId!: string;
  @ApiProperty({ format: 'uuid', description: 'the stored question' }) userMessageId!: string;
  @ApiProperty() model!: string;
}

export class AiTextEventDto {
  @ApiProperty({ description: 'the next piece of the answer, as it arrives' }) delta!: string;
}

export class AiToolCallEventDto {
  @ApiProperty() id!: string;
  @ApiProperty({
    enum: ['get_strategy', 'list_backtests', 'get_backtest_result', 'get_market_coverage', 'propose_strategy'],
  })
  name!: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) input!: unknown;
}

export class AiToolResultEventDto {
  @ApiProperty() toolUseId!: string;
  @ApiProperty() name!: string;
  @ApiProperty() isError!: boolean;
}

export class AiDoneEventDto {
  @ApiProperty({ format: 'uuid', description: 'the stored answer' }) messageId!: string;
  @ApiProperty({ type: TokenUsageDto }) usage!: TokenUsageDto;
  @ApiProperty({ type: MessageResponseDto }) message!: MessageResponseDto;
}

export const SSE_EVENTS_DOC =
  'Accept: text/event-stream answers 200 with server-sent events, each `event: <name>` and one `data:` line of JSON: ' +
  '`start` (AiStartEvent) once; `text` (AiTextEvent) for every piece of the answer as it arrives; `tool_call` ' +
  '(AiToolCallEvent) and `tool_result` (AiToolResultEvent) when the assistant uses a tool; `proposal` ' +
  '(ProposalSummaryDto) when it proposed a valid strategy; then `done` (AiDoneEvent: the stored message id, token ' +
  'usage and the whole message) or `error` (ProblemDetails, e.g. AI_UPSTREAM_OVERLOADED; `messageId` names what was ' +
  'stored when part of an answer had arrived). Comment lines (`: ping`) keep idle connections open. Refusals (404, ' +
  '429 AI_QUOTA_EXCEEDED, 503 AI_DISABLED) happen before the stream starts and are plain problem details. A client ' +
  'that disconnects cancels the answer; what had arrived is stored with status `incomplete`.';
