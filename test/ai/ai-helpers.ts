import { DataSource } from 'typeorm';
import { TestApi } from '../support/test-app';
import type { FakeMessagesBody } from '../support/fake-anthropic';
import { bearer, login, register, uniqueEmail } from '../auth/auth-helpers';

export interface SseEvent {
  event: string;
  data: any;
}

/** Parses a text/event-stream body as EventSource does: `event:` and `data:` lines, comments skipped. */
export function parseSse(text: string): SseEvent[] {
  return text
    .split('\n\n')
    .map((block) => block.split('\n').filter((line) => line !== '' && !line.startsWith(':')))
    .filter((lines) => lines.length > 0)
    .map((lines) => ({
      event: lines.find((l) => l.startsWith('event: '))?.slice(7) ?? 'message',
      data: JSON.parse(
        lines
          .filter((l) => l.startsWith('data: '))
          .map((l) => l.slice(6))
          .join('\n'),
      ),
    }));
}

/** A new user of `tier` (set in the database, then logged in again so the token carries it). */
export async function userWithTier(api: TestApi, tier: 'basic' | 'pro' | 'elite' = 'basic') {
  const email = uniqueEmail(`ai-${tier}`);
  const session = await register(api, email);
  if (tier === 'basic') return session;
  await api.app.get(DataSource).query(`UPDATE users SET tier = $2 WHERE id = $1`, [session.user.id, tier]);
  return login(api, email);
}

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
