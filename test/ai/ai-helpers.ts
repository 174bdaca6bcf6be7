import { TestApi } from '../support/test-app';
import type { FakeMessagesBody } from '../support/fake-anthropic';
import { bearer } from '../auth/auth-helpers';

export { parseSse, type SseEvent } from '../support/sse';
export { userWithTier } from '../support/backtest-fixtures';

export async function createSession(api: TestApi, token: string, body: Record<string, unknown> = {}) {
  const res = await api.inject({ method: 'POST', url: '/api/v1/ai/sessions', headers: bearer(token), payload: body });
  if (res.statusCode !== 201) throw new Error(`create session answered ${res.statusCode}: ${res.body}`);
  return res.json<{ id: string; title: string }>();
}

export function sendMessage(api: TestApi, token: string, sessionId: string, content: string, stream = false) {
  return api.inject({
    method: 'POST',
    url: `/api/v1/ai/sessions/${sessionId}/messages`,
    headers: { ...bearer(token), ...(stream ? { accept: 'text/event-stream' } : {}) },
    payload: { content },
  });
}

export async function messagesOf(api: TestApi, token: string, sessionId: string) {
  const res = await api.inject({ url: `/api/v1/ai/sessions/${sessionId}/messages`, headers: bearer(token) });
  if (res.statusCode !== 200) throw new Error(`messages answered ${res.statusCode}: ${res.body}`);
  return res.json().items as any[];
}

/** The system prompt of an upstream request as one string. */
export function systemOf(body: FakeMessagesBody): string {
  return typeof body.system === 'string' ? body.system : (body.system ?? []).map((b) => b.text).join('\n');
}

/** The tool_result blocks of the last user message of an upstream request. */
export function toolResultsOf(
  body: FakeMessagesBody,
): Array<{ tool_use_id: string; content: string; is_error?: boolean }> {
  const last = body.messages[body.messages.length - 1];
  return Array.isArray(last.content) ? (last.content.filter((b) => b.type === 'tool_result') as any[]) : [];
}
