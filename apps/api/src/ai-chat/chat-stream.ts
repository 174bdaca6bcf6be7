import { Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AiChatService, ChatEvent, PendingAnswer } from '@app/ai-chat';
import { toProblem } from '../http/problem-details';
import { logProblem } from '../http/problem-details.filter';
import { mapMessage, mapProposalSummary } from './ai-chat.dto';
import { SseStream } from '../http/sse-stream';

const logger = new Logger('AiChatStream');

/** Whether the client asked for server-sent events rather than JSON. */
export function wantsEventStream(accept: string | undefined): boolean {
  return /(^|,)\s*text\/event-stream\s*(;|,|$)/i.test(accept ?? '');
}

function eventData(event: ChatEvent): unknown {
  switch (event.type) {
    case 'start':
      return { sessionId: event.sessionId, userMessageId: event.userMessageId, model: event.model };
    case 'text':
      return { delta: event.delta };
    case 'tool_call':
      return { id: event.id, name: event.name, input: event.input };
    case 'tool_result':
      return { toolUseId: event.toolUseId, name: event.name, isError: event.isError };
    case 'proposal':
      return mapProposalSummary(event.proposal);
  }
}

/**
 * Answers an accepted message as server-sent events on the hijacked reply. The client going away
 * aborts the upstream request; the service then stores what had arrived as incomplete.
 */
export async function streamAnswer(
  chat: AiChatService,
  pending: PendingAnswer,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<void> {
  const sse = SseStream.hijack(reply);
  const abort = new AbortController();
  sse.onClientGone(() => abort.abort());
  try {
    const exchange = await chat.answer(pending, {
      stream: true,
      signal: abort.signal,
      sink: (event) => sse.send(event.type, eventData(event)),
    });
    const message = mapMessage(exchange.message);
    sse.send('done', { messageId: message.id, usage: message.usage, message });
  } catch (err) {
    const problem = toProblem(err, String(request.id));
    logProblem(logger, err, problem, String(request.id), 'AI chat stream failed');
    sse.send('error', problem);
  } finally {
    sse.close();
  }
}
