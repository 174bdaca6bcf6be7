import { ApiProperty, ApiPropertyOptional, OmitType } from '@nestjs/swagger';
import { UpdateStrategyDto } from '@app/strategies';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, IsUUID, Max, MaxLength, Min, MinLength } from 'class-validator';
import type {
  ChatBlock,
  ChatExchange,
  MessageView,
  ProposalDraft,
  ProposalRecord,
  SessionRecord,
  TokenUsage,
  UsageReport,
} from '@app/ai-chat';

/** Longest chat message a user may send. */
export const MAX_MESSAGE_CHARS = 8_000;

export class CreateSessionDto {
  @ApiPropertyOptional({ example: 'Why did my SMA cross lose in March?', maxLength: 200, default: 'New chat' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  title?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'one of your strategies, given to the assistant as context' })
  @IsOptional()
  @IsUUID()
  strategyId?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'one of your backtests, given to the assistant as context' })
  @IsOptional()
  @IsUUID()
  backtestId?: string;
}

export class SendMessageDto {
  @ApiProperty({ example: 'Why is the kline result worse than the hybrid one?', maxLength: MAX_MESSAGE_CHARS })
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_MESSAGE_CHARS)
  content!: string;
}

/** Optional overrides of the proposal's name, description and tags (the strategy's own rules). */
export class AcceptProposalDto extends OmitType(UpdateStrategyDto, ['definition'] as const) {}

export class UsageQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 31, default: 7, description: 'days of history, today included' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(31)
  days?: number;
}

export class TokenUsageDto {
  @ApiProperty() inputTokens!: number;
  @ApiProperty() outputTokens!: number;
}

export class SessionContextDto {
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) strategyId!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) backtestId!: string | null;
}

export class ChatSessionResponseDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() title!: string;
  @ApiProperty({ type: SessionContextDto }) context!: SessionContextDto;
  @ApiProperty() messageCount!: number;
  @ApiProperty({ type: TokenUsageDto }) usage!: TokenUsageDto;
  @ApiProperty({ nullable: true, type: String }) lastMessageAt!: string | null;
  @ApiProperty() createdAt!: string;
}

export class ChatSessionListResponseDto {
  @ApiProperty({ type: [ChatSessionResponseDto] }) items!: ChatSessionResponseDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}

export class ContentBlockDto {
  @ApiProperty({ enum: ['text', 'tool_use', 'tool_result'] }) type!: 'text' | 'tool_use' | 'tool_result';
  @ApiPropertyOptional({ description: 'text blocks' }) text?: string;
  @ApiPropertyOptional({ description: 'tool_use: the call id' }) id?: string;
  @ApiPropertyOptional({ description: 'tool_use: the tool' }) name?: string;
  @ApiPropertyOptional({ description: 'tool_use: its input', type: 'object', additionalProperties: true })
  input?: unknown;
  @ApiPropertyOptional({ description: 'tool_result: the call it answers' }) toolUseId?: string;
  @ApiPropertyOptional({ description: 'tool_result: what the model was given (JSON text, or the error)' })
  content?: string;
  @ApiPropertyOptional({ description: 'tool_result: the tool failed or refused' }) isError?: boolean;
}

export class ProposalSummaryDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() description!: string;
  @ApiProperty({ type: [String] }) tags!: string[];
  @ApiProperty({ enum: ['draft', 'accepted'] }) status!: string;
  @ApiProperty({ nullable: true, type: String, format: 'uuid', description: 'the saved strategy, once accepted' })
  strategyId!: string | null;
}

export class ProposalResponseDto extends ProposalSummaryDto {
  @ApiProperty({ format: 'uuid' }) sessionId!: string;
  @ApiProperty({ format: 'uuid' }) messageId!: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'a valid strategy definition, defaults filled',
  })
  definition!: unknown;
  @ApiProperty() createdAt!: string;
  @ApiProperty({ nullable: true, type: String }) acceptedAt!: string | null;
}

export class MessageErrorDto {
  @ApiProperty({ example: 'AI_UPSTREAM_OVERLOADED' }) code!: string;
  @ApiProperty() message!: string;
}

export class MessageResponseDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) sessionId!: string;
  @ApiProperty({ enum: ['user', 'assistant'] }) role!: string;
  @ApiProperty({
    enum: ['complete', 'incomplete'],
    description: 'incomplete: the client left or the AI service failed mid-answer; content is what arrived',
  })
  status!: string;
  @ApiProperty({ type: [ContentBlockDto], description: 'text, tool calls and tool results in order' })
  content!: ContentBlockDto[];
  @ApiProperty({ nullable: true, type: String }) model!: string | null;
  @ApiProperty({ type: TokenUsageDto, description: 'billed tokens, all tool rounds summed' }) usage!: TokenUsageDto;
  @ApiProperty({ nullable: true, type: Number }) latencyMs!: number | null;
  @ApiProperty({ nullable: true, type: String, example: 'end_turn' }) stopReason!: string | null;
  @ApiProperty({ nullable: true, type: MessageErrorDto }) error!: MessageErrorDto | null;
  @ApiProperty({ type: [ProposalSummaryDto] }) proposals!: ProposalSummaryDto[];
  @ApiProperty() createdAt!: string;
}

export class MessageListResponseDto {
  @ApiProperty({ type: [MessageResponseDto], description: 'newest first' }) items!: MessageResponseDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}

export class ExchangeResponseDto {
  @ApiProperty({ type: MessageResponseDto }) userMessage!: MessageResponseDto;
  @ApiProperty({ type: MessageResponseDto }) message!: MessageResponseDto;
}

export class AcceptProposalResponseDto {
  @ApiProperty({ format: 'uuid', description: 'the new strategy' }) strategyId!: string;
  @ApiProperty({ type: ProposalResponseDto }) proposal!: ProposalResponseDto;
}

export class DayUsageDto {
  @ApiProperty({ example: '2025-03-09' }) day!: string;
  @ApiProperty() messages!: number;
  @ApiProperty({ type: TokenUsageDto }) usage!: TokenUsageDto;
}

export class UsageResponseDto {
  @ApiProperty({ enum: ['basic', 'pro', 'elite'] }) tier!: string;
  @ApiProperty({ example: 'claude-sonnet-5-5' }) model!: string;
  @ApiProperty({ description: 'UTC date the quota counts' }) day!: string;
  @ApiProperty({ description: 'messages per UTC day for the tier' }) limit!: number;
  @ApiProperty() used!: number;
  @ApiProperty() remaining!: number;
  @ApiProperty({ description: 'next UTC midnight' }) resetAt!: string;
  @ApiProperty({ type: TokenUsageDto, description: "today's tokens" }) usage!: TokenUsageDto;
  @ApiProperty({ type: [DayUsageDto], description: 'oldest first, today last' }) recent!: DayUsageDto[];
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);
const usage = (u: TokenUsage): TokenUsageDto => ({ inputTokens: u.inputTokens, outputTokens: u.outputTokens });

export function mapSession(s: SessionRecord): ChatSessionResponseDto {
  return {
    id: s.id,
    title: s.title,
    context: { strategyId: s.strategyId, backtestId: s.backtestId },
    messageCount: s.messageCount,
    usage: usage(s.usage),
    lastMessageAt: iso(s.lastMessageAt),
    createdAt: s.createdAt.toISOString(),
  };
}

export function mapBlock(b: ChatBlock): ContentBlockDto {
  switch (b.type) {
    case 'text':
      return { type: 'text', text: b.text };
    case 'tool_use':
      return { type: 'tool_use', id: b.id, name: b.name, input: b.input };
    case 'tool_result':
      return { type: 'tool_result', toolUseId: b.toolUseId, content: b.content, isError: b.isError };
  }
}

export function mapProposalSummary(
  p: ProposalDraft & { status?: string; strategyId?: string | null },
): ProposalSummaryDto {
  return {
    id: p.id,
    name: p.name,
    description: p.description,
    tags: p.tags,
    status: p.status ?? 'draft',
    strategyId: p.strategyId ?? null,
  };
}

export function mapProposal(p: ProposalRecord): ProposalResponseDto {
  return {
    ...mapProposalSummary(p),
    sessionId: p.sessionId,
    messageId: p.messageId,
    definition: p.definition,
    createdAt: p.createdAt.toISOString(),
    acceptedAt: iso(p.acceptedAt),
  };
}

export function mapMessage(m: MessageView): MessageResponseDto {
  return {
    id: m.id,
    sessionId: m.sessionId,
    role: m.role,
    status: m.status,
    content: m.content.map(mapBlock),
    model: m.model,
    usage: usage(m.usage),
    latencyMs: m.latencyMs,
    stopReason: m.stopReason,
    error: m.error,
    proposals: m.proposals.map(mapProposalSummary),
    createdAt: m.createdAt.toISOString(),
  };
}

export function mapExchange(e: ChatExchange): ExchangeResponseDto {
  return { userMessage: mapMessage(e.userMessage), message: mapMessage(e.message) };
}

export function mapUsage(r: UsageReport, model: string): UsageResponseDto {
  return {
    tier: r.tier,
    model,
    day: r.day,
    limit: r.limit,
    used: r.used,
    remaining: r.remaining,
    resetAt: r.resetAt.toISOString(),
    usage: usage(r.usage),
    recent: r.recent.map((d) => ({ day: d.day, messages: d.messages, usage: usage(d.usage) })),
  };
}
