import type Anthropic from '@anthropic-ai/sdk';
import type { ChatBlock, ChatTurnMessage } from './content';

/**
 * Characters per token used to estimate prompt sizes without a tokenizer. Claude's tokenizer
 * averages about 3.5–4 characters per token on English and JSON; the lower figure errs towards
 * sending less history, never more than the budget.
 */
const CHARS_PER_TOKEN = 3.5;

export function estimateTokens(text: string): number {
  return Math.ceil(text.length / CHARS_PER_TOKEN);
}

function blockChars(block: ChatBlock): number {
  switch (block.type) {
    case 'text':
      return block.text.length;
    case 'tool_use':
      return block.name.length + JSON.stringify(block.input ?? {}).length;
    case 'tool_result':
      return block.content.length;
  }
}

export function estimateMessageTokens(message: ChatTurnMessage): number {
  // A few tokens of framing per message and block, as the API counts them.
  return 4 + message.content.reduce((n, b) => n + 3 + Math.ceil(blockChars(b) / CHARS_PER_TOKEN), 0);
}

/**
 * Keeps the newest turns that fit in `budget` tokens together with `fixedTokens` (system prompt,
 * attached context, tools), dropping the oldest turns first. A turn is a user message and what
 * followed it up to the next user message; the last turn (the message being answered) is always
 * kept, whatever its size. `messages` is oldest first.
 */
export function trimHistory(
  messages: ChatTurnMessage[],
  budget: number,
  fixedTokens: number,
): { kept: ChatTurnMessage[]; droppedTurns: number } {
  const turns: ChatTurnMessage[][] = [];
  for (const message of messages) {
    if (message.role === 'user' || turns.length === 0) turns.push([message]);
    else turns[turns.length - 1].push(message);
  }
  let used = fixedTokens;
  let first = turns.length;
  for (let i = turns.length - 1; i >= 0; i--) {
    const cost = turns[i].reduce((n, m) => n + estimateMessageTokens(m), 0);
    if (i < turns.length - 1 && used + cost > budget) break;
    used += cost;
    first = i;
  }
  return { kept: turns.slice(first).flat(), droppedTurns: first };
}

type ApiBlock = Anthropic.TextBlockParam | Anthropic.ToolUseBlockParam | Anthropic.ToolResultBlockParam;

/**
 * Turns stored messages (oldest first) into the Messages API's alternating user/assistant list.
 * An assistant message's tool results go back as a user message between its tool calls and the
 * text that followed. Tool calls without a result (an answer cut off mid-call) and results
 * without a call are left out, empty text is dropped, neighbours of one role are merged, and the
 * list starts with a user message, as the API requires.
 */
export function toApiMessages(messages: ChatTurnMessage[]): Anthropic.MessageParam[] {
  const out: Array<{ role: 'user' | 'assistant'; content: ApiBlock[] }> = [];
  const push = (role: 'user' | 'assistant', block: ApiBlock) => {
    const last = out[out.length - 1];
    if (last && last.role === role) last.content.push(block);
    else out.push({ role, content: [block] });
  };
  for (const message of messages) {
    const answered = new Set(
      message.content.filter((b) => b.type === 'tool_result').map((b) => (b.type === 'tool_result' ? b.toolUseId : '')),
    );
    const called = new Set<string>();
    for (const block of message.content) {
      if (block.type === 'text') {
        if (block.text.trim() !== '') push(message.role, { type: 'text', text: block.text });
      } else if (block.type === 'tool_use') {
        if (message.role !== 'assistant' || !answered.has(block.id)) continue;
        called.add(block.id);
        push('assistant', { type: 'tool_use', id: block.id, name: block.name, input: block.input ?? {} });
      } else if (called.has(block.toolUseId)) {
        push('user', {
          type: 'tool_result',
          tool_use_id: block.toolUseId,
          content: block.content,
          ...(block.isError ? { is_error: true } : {}),
        });
      }
    }
  }
  while (out.length > 0 && out[0].role !== 'user') out.shift();
  // Tool results must open a user message: merging put them after the user's text otherwise.
  for (const m of out) {
    if (m.role === 'user')
      m.content.sort((a, b) => Number(b.type === 'tool_result') - Number(a.type === 'tool_result'));
  }
  return out;
}
