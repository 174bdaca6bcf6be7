import type { ProposalDraft } from '../proposal/proposal.repository';

/**
 * What happens while a message is answered, in order, for clients that stream (SSE). The final
 * event (the stored message with its token usage) and errors are added by the transport.
 */
export type ChatEvent =
  | { type: 'start'; sessionId: string; userMessageId: string; model: string }
  | { type: 'text'; delta: string }
  | { type: 'tool_call'; id: string; name: string; input: unknown }
  | { type: 'tool_result'; toolUseId: string; name: string; isError: boolean }
  | { type: 'proposal'; proposal: ProposalDraft };

export type ChatSink = (event: ChatEvent) => void;
