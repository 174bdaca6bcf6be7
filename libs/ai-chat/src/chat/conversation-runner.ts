import { Inject, Injectable } from '@nestjs/common';
import type Anthropic from '@anthropic-ai/sdk';
import { AppConfig } from '@app/platform';
import type { AiUpstreamError } from '../ai-chat.errors';
import { addUsage, ChatBlock, NO_USAGE, TokenUsage, ToolUseBlock } from '../domain/content';
import { ToolExecutor, ToolSession } from '../tools/tool-executor.service';
import { ModelCallFailed, ModelClient, ModelRequest } from '../upstream/model-client.service';
import type { ModelTurn } from '../upstream/model-turn';
import type { ChatSink } from './chat-events';

export interface Conversation {
  system: string[];
  /** History, trimmed, ending with the message being answered. */
  messages: Anthropic.MessageParam[];
  tools: Anthropic.Tool[];
  toolSession: ToolSession;
  stream: boolean;
  sink: ChatSink;
  /** Aborts the upstream request (the client went away). */
  signal?: AbortSignal;
}

export interface ConversationResult {
  /** Everything the answer produced, in order: text, tool calls, tool results. */
  blocks: ChatBlock[];
  usage: TokenUsage;
  model: string;
  stopReason: string | null;
  /** False when the client went away or the upstream failed before the answer ended. */
  complete: boolean;
  /** Set when the upstream failed (after the SDK's retries). */
  error: AiUpstreamError | null;
  rounds: number;
}

function assistantParam(blocks: ChatBlock[]): Anthropic.MessageParam {
  const content: Array<Anthropic.TextBlockParam | Anthropic.ToolUseBlockParam> = [];
  for (const b of blocks) {
    if (b.type === 'text' && b.text.trim() !== '') content.push({ type: 'text', text: b.text });
    else if (b.type === 'tool_use') content.push({ type: 'tool_use', id: b.id, name: b.name, input: b.input ?? {} });
  }
  return { role: 'assistant', content };
}

/**
 * The model ↔ tools loop behind one answer: call the model; while it asks for tools, run them for
 * the user and send the results back; at most AI_MAX_TOOL_ROUNDS calls, the last of which must
 * answer in text.
 */
@Injectable()
export class ConversationRunner {
  constructor(
    @Inject(AppConfig) private readonly config: AppConfig,
    private readonly model: ModelClient,
    private readonly tools: ToolExecutor,
  ) {}

  async run(c: Conversation): Promise<ConversationResult> {
    const messages = [...c.messages];
    const result: ConversationResult = {
      blocks: [],
      usage: NO_USAGE,
      model: this.model.model,
      stopReason: null,
      complete: false,
      error: null,
      rounds: 0,
    };
    const maxRounds = this.config.env.AI_MAX_TOOL_ROUNDS;
    while (result.rounds < maxRounds) {
      if (c.signal?.aborted) return result;
      result.rounds++;
      const request: ModelRequest = {
        system: c.system,
        messages,
        tools: c.tools,
        toolChoice: result.rounds === maxRounds ? 'none' : 'auto',
      };
      let turn: ModelTurn;
      try {
        turn = c.stream
          ? await this.model.stream(request, (delta) => c.sink({ type: 'text', delta }), c.signal)
          : await this.model.complete(request, c.signal);
      } catch (err) {
        if (!(err instanceof ModelCallFailed)) throw err;
        this.take(result, err.partial);
        result.error = err.error;
        return result;
      }
      this.take(result, turn);
      if (!turn.complete) return result;
      const calls = turn.blocks.filter((b): b is ToolUseBlock => b.type === 'tool_use');
      if (turn.stopReason !== 'tool_use' || calls.length === 0) {
        result.complete = true;
        return result;
      }
      messages.push(assistantParam(turn.blocks));
      const results: Anthropic.ToolResultBlockParam[] = [];
      for (const call of calls) {
        c.sink({ type: 'tool_call', id: call.id, name: call.name, input: call.input });
        const outcome = await this.tools.execute(call, c.toolSession);
        result.blocks.push({
          type: 'tool_result',
          toolUseId: call.id,
          content: outcome.content,
          isError: outcome.isError,
        });
        results.push({
          type: 'tool_result',
          tool_use_id: call.id,
          content: outcome.content,
          ...(outcome.isError ? { is_error: true } : {}),
        });
        c.sink({ type: 'tool_result', toolUseId: call.id, name: call.name, isError: outcome.isError });
        if (outcome.proposal) c.sink({ type: 'proposal', proposal: outcome.proposal });
      }
      messages.push({ role: 'user', content: results });
    }
    result.complete = true;
    return result;
  }

  private take(result: ConversationResult, turn: ModelTurn): void {
    result.blocks.push(...turn.blocks);
    result.usage = addUsage(result.usage, turn.usage);
    if (turn.model) result.model = turn.model;
    result.stopReason = turn.stopReason;
  }
}
