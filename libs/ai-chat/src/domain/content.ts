/**
 * Content blocks as stored with a message and shown by the API. An assistant message holds the
 * whole exchange behind one answer, in order: text, the tool calls the model made and the
 * results the server gave back, then more text.
 */
export type ChatBlock = TextBlock | ToolUseBlock | ToolResultBlock;

export interface TextBlock {
  type: 'text';
  text: string;
}

export interface ToolUseBlock {
  type: 'tool_use';
  id: string;
  name: string;
  input: unknown;
}

export interface ToolResultBlock {
  type: 'tool_result';
  toolUseId: string;
  /** JSON text of the result, or the error the model is told about. */
  content: string;
  isError: boolean;
}

export type ChatRole = 'user' | 'assistant';

export interface ChatTurnMessage {
  role: ChatRole;
  content: ChatBlock[];
}

/** Token counts as the model API billed them. */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
}

export const NO_USAGE: TokenUsage = Object.freeze({ inputTokens: 0, outputTokens: 0 });

export function addUsage(a: TokenUsage, b: TokenUsage): TokenUsage {
  return { inputTokens: a.inputTokens + b.inputTokens, outputTokens: a.outputTokens + b.outputTokens };
}

/** The text of the blocks, joined (what a reader of the answer sees). */
export function textOf(blocks: ChatBlock[]): string {
  return blocks
    .filter((b): b is TextBlock => b.type === 'text')
    .map((b) => b.text)
    .join('');
}
