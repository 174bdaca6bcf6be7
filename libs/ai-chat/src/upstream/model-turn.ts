import type Anthropic from '@anthropic-ai/sdk';
import type { ChatBlock, TokenUsage } from '../domain/content';

/** What one call of the model produced. */
export interface ModelTurn {
  model: string;
  blocks: ChatBlock[];
  stopReason: string | null;
  usage: TokenUsage;
  /** False when the stream ended early (client abort or upstream failure): `blocks` is what arrived. */
  complete: boolean;
}

interface UsageCounts {
  input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
}

/**
 * Every prompt token the model read: the API counts tokens written to and read from the prompt
 * cache apart from `input_tokens`. Null when the event carried none of them.
 */
function promptTokens(u: UsageCounts): number | null {
  const parts = [u.input_tokens, u.cache_creation_input_tokens, u.cache_read_input_tokens];
  if (parts.every((p) => p === null || p === undefined)) return null;
  return parts.reduce<number>((sum, p) => sum + (p ?? 0), 0);
}

function parseInput(json: string): unknown {
  if (json.trim() === '') return {};
  try {
    return JSON.parse(json) as unknown;
  } catch {
    return { __unparseable: json };
  }
}

/** A non-streamed answer as a turn; block kinds the product does not use are left out. */
export function turnFromMessage(message: Anthropic.Message): ModelTurn {
  const blocks: ChatBlock[] = [];
  for (const block of message.content) {
    if (block.type === 'text') blocks.push({ type: 'text', text: block.text });
    else if (block.type === 'tool_use')
      blocks.push({ type: 'tool_use', id: block.id, name: block.name, input: block.input });
  }
  return {
    model: message.model,
    blocks,
    stopReason: message.stop_reason,
    usage: { inputTokens: promptTokens(message.usage) ?? 0, outputTokens: message.usage.output_tokens ?? 0 },
    complete: true,
  };
}

type Pending =
  { type: 'text'; text: string } | { type: 'tool_use'; id: string; name: string; json: string; done: boolean };

/**
 * Builds a turn from the raw server-sent events of a streamed answer, so that what arrived is
 * known at any moment: when the client goes away mid-answer, the partial text is stored. A tool
 * call counts only once its block is complete (its input JSON may be cut anywhere before that).
 */
export class StreamAccumulator {
  private readonly pending: Array<Pending | undefined> = [];
  private model = '';
  private stopReason: string | null = null;
  private usage: TokenUsage = { inputTokens: 0, outputTokens: 0 };
  private stopped = false;

  /** Applies one event; returns the text delta it carried, if any. */
  apply(event: Anthropic.RawMessageStreamEvent): string | undefined {
    switch (event.type) {
      case 'message_start':
        this.model = event.message.model;
        this.usage = {
          inputTokens: promptTokens(event.message.usage) ?? 0,
          outputTokens: event.message.usage.output_tokens ?? 0,
        };
        return undefined;
      case 'content_block_start': {
        const block = event.content_block;
        if (block.type === 'text') this.pending[event.index] = { type: 'text', text: block.text ?? '' };
        else if (block.type === 'tool_use') {
          this.pending[event.index] = { type: 'tool_use', id: block.id, name: block.name, json: '', done: false };
        }
        return undefined;
      }
      case 'content_block_delta': {
        const block = this.pending[event.index];
        if (event.delta.type === 'text_delta' && block?.type === 'text') {
          block.text += event.delta.text;
          return event.delta.text;
        }
        if (event.delta.type === 'input_json_delta' && block?.type === 'tool_use')
          block.json += event.delta.partial_json;
        return undefined;
      }
      case 'content_block_stop': {
        const block = this.pending[event.index];
        if (block?.type === 'tool_use') block.done = true;
        return undefined;
      }
      case 'message_delta':
        this.stopReason = event.delta.stop_reason;
        // Counters in message_delta are whole-message totals; absent ones keep message_start's.
        this.usage = {
          inputTokens: promptTokens(event.usage) ?? this.usage.inputTokens,
          outputTokens: event.usage.output_tokens ?? this.usage.outputTokens,
        };
        return undefined;
      case 'message_stop':
        this.stopped = true;
        return undefined;
      default:
        return undefined;
    }
  }

  get started(): boolean {
    return this.model !== '';
  }

  result(): ModelTurn {
    const blocks: ChatBlock[] = [];
    for (const block of this.pending) {
      if (!block) continue;
      if (block.type === 'text') {
        if (block.text !== '') blocks.push({ type: 'text', text: block.text });
      } else if (block.done) {
        blocks.push({ type: 'tool_use', id: block.id, name: block.name, input: parseInput(block.json) });
      }
    }
    return {
      model: this.model,
      blocks,
      stopReason: this.stopped ? this.stopReason : null,
      usage: this.usage,
      complete: this.stopped,
    };
  }
}
