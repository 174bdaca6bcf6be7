import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { TEST_REDIS_URL, uniquePrefix } from '@app/testing';
import { storeBtcCandles } from '../support/backtest-fixtures';
import { FakeAnthropic, reply } from '../support/fake-anthropic';
import { createTestApi, TestApi } from '../support/test-app';
import { JWT_SECRET, bearer, expectProblem, register } from '../auth/auth-helpers';
import { createSession, messagesOf, parseSse, sendMessage, systemOf, toolResultsOf, userWithTier } from './ai-helpers';

const VALID_DEFINITION = {
  version: 1,
  indicators: { fast: { type: 'sma', period: 10 }, slow: { type: 'sma', period: 30 } },
  entry: { long: { crossAbove: ['fast', 'slow'] } },
  exit: { long: { crossBelow: ['fast', 'slow'] } },
};

describe('AI chat', () => {
  let fake: FakeAnthropic;
  let api: TestApi; // configured, default limits
  let tight: TestApi; // short upstream timeout, one retry, the smallest history budget
  let disabled: TestApi; // no ANTHROPIC_API_KEY
  const exchange = `ai${uniquePrefix('x').slice(-6)}`;

  const env = (extra: Record<string, string | undefined> = {}) => ({
    JWT_SECRET,
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: uniquePrefix('ai'),
    THROTTLE_AI_CHAT_LIMIT: '1000',
    ANTHROPIC_API_KEY: fake.apiKey,
    ANTHROPIC_BASE_URL: fake.url,
    ANTHROPIC_MODEL: 'claude-test-1',
    AI_MAX_RETRIES: '2',
    ...extra,
  });

  beforeAll(async () => {
    fake = await FakeAnthropic.start();
    [api, tight, disabled] = await Promise.all([
      createTestApi({ env: env() }),
      createTestApi({ env: env({ AI_TIMEOUT_MS: '300', AI_MAX_RETRIES: '1', AI_HISTORY_TOKEN_BUDGET: '1000' }) }),
      createTestApi({ env: env({ ANTHROPIC_API_KEY: undefined }) }),
    ]);
    // 500 real 1m candles (with their gaps) for the coverage tool.
    await storeBtcCandles(api, exchange, 'BTC/ETH', 500);
  });
  afterAll(async () => {
    await Promise.all([api?.close(), tight?.close(), disabled?.close()]);
    await fake?.close();
  });
  beforeEach(() => fake.reset());

  describe('sessions', () => {
    it('creates, lists newest first page by page, reads and deletes the caller’s sessions', async () => {
      const { accessToken: token } = await register(api);
      const first = await createSession(api, token, { title: 'Drawdown questions' });
      const second = await createSession(api, token);
      expect(second.title).toBe('New chat');

      const page1 = await api.inject({ url: '/api/v1/ai/sessions?limit=1', headers: bearer(token) });
      expect(page1.json().items.map((s: { id: string }) => s.id)).toEqual([second.id]);
      const page2 = await api.inject({
        url: `/api/v1/ai/sessions?limit=1&cursor=${page1.json().nextCursor}`,
        headers: bearer(token),
      });
      expect(page2.json()).toMatchObject({ items: [{ id: first.id, title: 'Drawdown questions' }], nextCursor: null });

      const del = await api.inject({
        method: 'DELETE',
        url: `/api/v1/ai/sessions/${first.id}`,
        headers: bearer(token),
      });
      expect(del.statusCode).toBe(204);
      expectProblem(
        await api.inject({ url: `/api/v1/ai/sessions/${first.id}`, headers: bearer(token) }),
        404,
        'AI_SESSION_NOT_FOUND',
      );
    });

    it('answers 404 for every route on another user’s session and never calls the model for it', async () => {
      const owner = await register(api);
      const other = await register(api);
      const session = await createSession(api, owner.accessToken);
      const routes = [
        { method: 'GET' as const, url: `/api/v1/ai/sessions/${session.id}` },
        { method: 'GET' as const, url: `/api/v1/ai/sessions/${session.id}/messages` },
        { method: 'POST' as const, url: `/api/v1/ai/sessions/${session.id}/messages`, payload: { content: 'hi' } },
        { method: 'DELETE' as const, url: `/api/v1/ai/sessions/${session.id}` },
      ];
      for (const route of routes) {
        expectProblem(await api.inject({ ...route, headers: bearer(other.accessToken) }), 404, 'AI_SESSION_NOT_FOUND');
      }
      expect(fake.requests).toHaveLength(0);
      expect(
        (await api.inject({ url: `/api/v1/ai/sessions/${session.id}`, headers: bearer(owner.accessToken) })).statusCode,
      ).toBe(200);
    });

    it('rejects unknown fields, bad ids and empty messages with 400 before any work', async () => {
      const { accessToken: token } = await register(api);
      const session = await createSession(api, token);
      const bad = [
        await api.inject({ method: 'POST', url: '/api/v1/ai/sessions', headers: bearer(token), payload: { x: 1 } }),
        await api.inject({
          method: 'POST',
          url: '/api/v1/ai/sessions',
          headers: bearer(token),
          payload: { strategyId: 'nope' },
        }),
        await sendMessage(api, token, session.id, ''),
        await api.inject({ url: '/api/v1/ai/sessions/not-a-uuid', headers: bearer(token) }),
        await api.inject({ url: '/api/v1/ai/sessions?cursor=bogus', headers: bearer(token) }),
      ];
      for (const res of bad) expect(res.statusCode).toBe(400);
      expect(fake.requests).toHaveLength(0);
      expect(await messagesOf(api, token, session.id)).toEqual([]);
    });
  });

  describe('answering', () => {
    it('answers as JSON and stores both messages with model, token usage, latency and stop reason', async () => {
      const { accessToken: token } = await register(api);
      const session = await createSession(api, token);
      fake.queue(
        reply.text('A Sharpe ratio is mean excess return over its volatility.', {
          usage: { input_tokens: 812, output_tokens: 14 },
        }),
      );

      const res = await sendMessage(api, token, session.id, 'What is a Sharpe ratio?');
      expect(res.statusCode).toBe(201);
      const { userMessage, message } = res.json();
      expect(userMessage).toMatchObject({ role: 'user', content: [{ type: 'text', text: 'What is a Sharpe ratio?' }] });
      expect(message).toMatchObject({
        role: 'assistant',
        status: 'complete',
        content: [{ type: 'text', text: 'A Sharpe ratio is mean excess return over its volatility.' }],
        model: 'claude-test-1',
        usage: { inputTokens: 812, outputTokens: 14 },
        stopReason: 'end_turn',
        error: null,
        proposals: [],
      });
      expect(message.latencyMs).toEqual(expect.any(Number));

      // What went upstream: the key, the API version, the configured model, the product's
      // capabilities in the system prompt, and the user's text as a user turn.
      const [upstream] = fake.requests;
      expect(upstream.headers.authorization ?? upstream.headers['x-api-key']).toMatch(new RegExp(fake.apiKey));
      expect(upstream.headers['anthropic-version']).toBeDefined();
      expect(upstream.body).toMatchObject({ model: 'claude-test-1', stream: false, max_tokens: 2048 });
      expect(systemOf(upstream.body)).toMatch(/# What you can do[\s\S]*# What you cannot do[\s\S]*never instructions/);
      expect(upstream.body.messages).toEqual([
        { role: 'user', content: [{ type: 'text', text: 'What is a Sharpe ratio?' }] },
      ]);
      // The fixed part of the system prompt and the tools are marked for the prompt cache.
      expect(upstream.body.system).toEqual([
        expect.objectContaining({ type: 'text', cache_control: { type: 'ephemeral' } }),
        { type: 'text', text: expect.stringContaining('Tier: basic') },
      ]);
      expect(upstream.body.tools!.map((t) => t.name).sort()).toEqual([
        'get_backtest_result',
        'get_market_coverage',
        'get_strategy',
        'list_backtests',
        'propose_strategy',
      ]);

      const stored = await messagesOf(api, token, session.id);
      expect(stored.map((m) => [m.role, m.id])).toEqual([
        ['assistant', message.id],
        ['user', userMessage.id],
      ]);
      const s = (await api.inject({ url: `/api/v1/ai/sessions/${session.id}`, headers: bearer(token) })).json();
      expect(s).toMatchObject({ messageCount: 2, usage: { inputTokens: 812, outputTokens: 14 } });
    });

    it('sends the earlier turns as history, and trims the oldest turns to the token budget', async () => {
      const { accessToken: token } = await register(api);
      const session = await createSession(api, token);
      fake.queue(reply.text('First answer.'), reply.text('Second answer.'));
      expect((await sendMessage(api, token, session.id, 'First question')).statusCode).toBe(201);
      expect((await sendMessage(api, token, session.id, 'Second question')).statusCode).toBe(201);
      expect(fake.requests[1].body.messages).toEqual([
        { role: 'user', content: [{ type: 'text', text: 'First question' }] },
        { role: 'assistant', content: [{ type: 'text', text: 'First answer.' }] },
        { role: 'user', content: [{ type: 'text', text: 'Second question' }] },
      ]);

      // The tight app's 1000-token budget is used up by the system prompt and tools: only the
      // message being answered goes up, while the system prompt is still sent whole.
      fake.reset();
      const t = (await register(tight)).accessToken;
      const ts = await createSession(tight, t);
      expect((await sendMessage(tight, t, ts.id, 'Old question')).statusCode).toBe(201);
      expect((await sendMessage(tight, t, ts.id, 'New question')).statusCode).toBe(201);
      expect(fake.requests[1].body.messages).toEqual([
        { role: 'user', content: [{ type: 'text', text: 'New question' }] },
      ]);
      expect(systemOf(fake.requests[1].body)).toBe(systemOf(fake.requests[0].body));
    });

    it('streams text deltas as they arrive, then a done event with the stored message id and usage', async () => {
      const { accessToken: token } = await register(api);
      const session = await createSession(api, token);
      const text = 'Kline assumes the worse of stop-loss and take-profit inside one bar.';
      fake.queue(reply.text(text, { chunkChars: 5, usage: { input_tokens: 300, output_tokens: 17 } }));

      const res = await sendMessage(api, token, session.id, 'Why is kline worse?', true);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
      expect(res.headers['x-request-id']).toEqual(expect.any(String));
      const events = parseSse(res.body);
      expect(events[0]).toEqual({
        event: 'start',
        data: { sessionId: session.id, userMessageId: expect.any(String), model: 'claude-test-1' },
      });
      const deltas = events.filter((e) => e.event === 'text').map((e) => e.data.delta);
      expect(deltas.length).toBe(Math.ceil(text.length / 5));
      expect(deltas.join('')).toBe(text);
      const done = events[events.length - 1];
      expect(done.event).toBe('done');
      expect(done.data).toMatchObject({
        usage: { inputTokens: 300, outputTokens: 17 },
        message: { status: 'complete', content: [{ type: 'text', text }], stopReason: 'end_turn' },
      });
      expect(fake.requests[0].body.stream).toBe(true);
      const stored = await messagesOf(api, token, session.id);
      expect(stored[0]).toMatchObject({ id: done.data.messageId, status: 'complete', usage: { inputTokens: 300 } });
    });
  });

  describe('tools', () => {
    it('round-trips get_market_coverage: the result goes back to the model as data, all is stored', async () => {
      const { accessToken: token } = await register(api);
      const session = await createSession(api, token);
      fake.queue(
        reply.tool(
          'get_market_coverage',
          { exchange, symbol: 'BTC/ETH' },
          { id: 'toolu_cov1', text: 'Let me check.', usage: { input_tokens: 900, output_tokens: 40 } },
        ),
        reply.text('You have 500 one-minute candles with gaps.', { usage: { input_tokens: 1200, output_tokens: 12 } }),
      );

      const res = await sendMessage(api, token, session.id, 'What BTC/ETH data do I have?', true);
      const events = parseSse(res.body);
      expect(events.map((e) => e.event).filter((e) => e !== 'text')).toEqual([
        'start',
        'tool_call',
        'tool_result',
        'done',
      ]);
      expect(events.find((e) => e.event === 'tool_call')!.data).toEqual({
        id: 'toolu_cov1',
        name: 'get_market_coverage',
        input: { exchange, symbol: 'BTC/ETH' },
      });

      // The second model call carries the assistant's tool call and the server's result.
      expect(fake.requests).toHaveLength(2);
      const second = fake.requests[1].body;
      expect(second.messages[1]).toEqual({
        role: 'assistant',
        content: [
          { type: 'text', text: 'Let me check.' },
          { type: 'tool_use', id: 'toolu_cov1', name: 'get_market_coverage', input: { exchange, symbol: 'BTC/ETH' } },
        ],
      });
      const [result] = toolResultsOf(second);
      expect(result.tool_use_id).toBe('toolu_cov1');
      expect(result.is_error).toBeUndefined();
      const data = JSON.parse(result.content);
      expect(data.coverage).toMatchObject({ exchange, symbol: 'BTC/ETH', candles: { timeframe: '1m', count: 500 } });
      expect(data.coverage.candles.gapCount).toBeGreaterThan(0);
      expect(data.precisionsAllowedForTier).toEqual(['kline']);

      const [answer] = await messagesOf(api, token, session.id);
      expect(answer.content.map((b: { type: string }) => b.type)).toEqual(['text', 'tool_use', 'tool_result', 'text']);
      expect(answer.usage).toEqual({ inputTokens: 2100, outputTokens: 52 });
    });

    it('gives a failing tool back to the model as an error result', async () => {
      const { accessToken: token } = await register(api);
      const session = await createSession(api, token);
      fake.queue(
        reply.tool('get_market_coverage', { exchange, symbol: 'NOPE/ETH' }),
        reply.text('That market has no data.'),
      );
      expect((await sendMessage(api, token, session.id, 'Coverage of NOPE?')).statusCode).toBe(201);
      const [result] = toolResultsOf(fake.requests[1].body);
      expect(result.is_error).toBe(true);
      expect(JSON.parse(result.content).error.code).toBe('MARKET_INSTRUMENT_NOT_FOUND');
    });

    it('feeds an invalid proposal’s errors back for correction and stores the corrected one as a draft', async () => {
      const { accessToken: token } = await register(api);
      const session = await createSession(api, token);
      const invalid = { version: 1, indicators: { fast: { type: 'sma', period: 0 } } };
      fake.queue(
        reply.tool('propose_strategy', { name: 'SMA cross', definition: invalid }),
        reply.tool('propose_strategy', {
          name: 'SMA cross',
          description: 'Fast over slow.',
          tags: ['trend'],
          definition: VALID_DEFINITION,
        }),
        reply.text('I proposed an SMA crossover; save it with one click.'),
      );

      const res = await sendMessage(api, token, session.id, 'Propose a trend strategy', true);
      const events = parseSse(res.body);
      const proposalEvent = events.find((e) => e.event === 'proposal');
      expect(proposalEvent?.data).toMatchObject({ name: 'SMA cross', status: 'draft', strategyId: null });

      const [rejected] = toolResultsOf(fake.requests[1].body);
      expect(rejected.is_error).toBe(true);
      expect(rejected.content).toMatch(/indicators\.fast\.period: must be an integer/);
      expect(rejected.content).toMatch(/entry: is required/);
      expect(rejected.content).toMatch(/2 attempts left/);
      const [accepted] = toolResultsOf(fake.requests[2].body);
      expect(accepted.is_error).toBeUndefined();
      expect(JSON.parse(accepted.content)).toMatchObject({ proposalId: proposalEvent!.data.id, status: 'draft' });

      const done = events[events.length - 1].data;
      expect(done.message.proposals).toEqual([proposalEvent!.data]);
      const proposal = await api.inject({
        url: `/api/v1/ai/proposals/${proposalEvent!.data.id}`,
        headers: bearer(token),
      });
      expect(proposal.statusCode).toBe(200);
      // Stored as validated: the engine's defaults are filled in.
      expect(proposal.json()).toMatchObject({
        status: 'draft',
        messageId: done.messageId,
        tags: ['trend'],
        definition: { ...VALID_DEFINITION, allowShort: false, reverseOnSignal: true },
      });
      const stranger = await register(api);
      expectProblem(
        await api.inject({
          url: `/api/v1/ai/proposals/${proposalEvent!.data.id}`,
          headers: bearer(stranger.accessToken),
        }),
        404,
        'AI_PROPOSAL_NOT_FOUND',
      );
    });

    it('stops accepting proposals after AI_PROPOSAL_MAX_CORRECTIONS corrections', async () => {
      const { accessToken: token } = await register(api);
      const session = await createSession(api, token);
      const invalid = { version: 2 };
      fake.queue(
        ...Array.from({ length: 4 }, () => reply.tool('propose_strategy', { name: 'Broken', definition: invalid })),
        reply.text('I could not make a valid definition.'),
      );
      const res = await sendMessage(api, token, session.id, 'Propose something');
      expect(res.statusCode).toBe(201);
      const results = fake.requests.slice(1).map((r) => toolResultsOf(r.body)[0]);
      expect(results.map((r) => r.is_error)).toEqual([true, true, true, true]);
      expect(results[0].content).toMatch(/2 attempts left/);
      expect(results[1].content).toMatch(/1 attempt left/);
      expect(results[2].content).toMatch(/No attempts are left/);
      expect(results[3].content).toMatch(/No more proposals/);
      expect(res.json().message.proposals).toEqual([]);
    });
  });

  describe('quota', () => {
    it('lets exactly the tier’s 20 daily messages through when 25 arrive at once, then 429 with the reset time', async () => {
      const { accessToken: token } = await register(api);
      const session = await createSession(api, token);
      const answers = await Promise.all(
        Array.from({ length: 25 }, (_, i) => sendMessage(api, token, session.id, `Question ${i}`)),
      );
      const statuses = answers.map((r) => r.statusCode).sort();
      expect(statuses.filter((s) => s === 201)).toHaveLength(20);
      expect(statuses.filter((s) => s === 429)).toHaveLength(5);
      const tomorrow = new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000 + 86_400_000).toISOString();
      const refused = answers.find((r) => r.statusCode === 429)!;
      expect(expectProblem(refused, 429, 'AI_QUOTA_EXCEEDED')).toMatchObject({
        tier: 'basic',
        limit: 20,
        resetAt: tomorrow,
      });
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect(fake.requests).toHaveLength(20);

      const usage = (await api.inject({ url: '/api/v1/ai/usage', headers: bearer(token) })).json();
      expect(usage).toMatchObject({
        tier: 'basic',
        model: 'claude-test-1',
        limit: 20,
        used: 20,
        remaining: 0,
        resetAt: tomorrow,
        usage: { inputTokens: 20 * 100, outputTokens: 20 * 20 },
      });
      expect(usage.recent).toHaveLength(7);
      expect((await messagesOf(api, token, session.id)).length).toBe(40);
    });

    it('counts against the tier of the caller', async () => {
      const pro = await userWithTier(api, 'pro');
      const usage = (await api.inject({ url: '/api/v1/ai/usage?days=2', headers: bearer(pro.accessToken) })).json();
      expect(usage).toMatchObject({ tier: 'pro', limit: 200, used: 0, remaining: 200 });
      expect(usage.recent).toHaveLength(2);
    });
  });

  describe('upstream failures', () => {
    it('retries 429 and 529 answers and succeeds when the service recovers', async () => {
      const { accessToken: token } = await register(api);
      const session = await createSession(api, token);
      fake.queue(
        reply.error(429, 'rate_limit_error', { retryAfterMs: 5 }),
        reply.error(529, 'overloaded_error', { retryAfterMs: 5 }),
        reply.text('Back again.'),
      );
      const res = await sendMessage(api, token, session.id, 'Hello?');
      expect(res.statusCode).toBe(201);
      expect(res.json().message.content).toEqual([{ type: 'text', text: 'Back again.' }]);
      expect(fake.requests).toHaveLength(3);
    });

    it.each([
      { upstream: 529, type: 'overloaded_error', status: 503, code: 'AI_UPSTREAM_OVERLOADED' },
      { upstream: 429, type: 'rate_limit_error', status: 503, code: 'AI_UPSTREAM_RATE_LIMITED' },
      { upstream: 500, type: 'api_error', status: 502, code: 'AI_UPSTREAM_ERROR' },
    ])(
      'gives up on upstream $upstream after the bounded retries: $status $code, the message taken back and the quota refunded',
      async ({ upstream, type, status, code }) => {
        const { accessToken: token } = await register(api);
        const session = await createSession(api, token);
        fake.queue(
          ...Array.from({ length: 3 }, () => reply.error(upstream, type, { retryAfterMs: 5, retryAfterSeconds: 7 })),
        );
        const res = await sendMessage(api, token, session.id, 'Hello?');
        const problem = expectProblem(res, status, code);
        expect(fake.requests).toHaveLength(3); // the first try and AI_MAX_RETRIES=2 retries
        if (status === 503) {
          expect(problem.retryAfterSeconds).toBe(7);
          expect(res.headers['retry-after']).toBe('7');
        }
        expect(JSON.stringify(problem)).not.toMatch(/api_error|overloaded_error|rate_limit_error/);
        expect(await messagesOf(api, token, session.id)).toEqual([]);
        expect((await api.inject({ url: '/api/v1/ai/usage', headers: bearer(token) })).json().used).toBe(0);
      },
    );

    it('answers 504 AI_UPSTREAM_TIMEOUT when no attempt answers in time', async () => {
      const { accessToken: token } = await register(tight);
      const session = await createSession(tight, token);
      fake.queue(reply.hang(), reply.hang());
      expectProblem(await sendMessage(tight, token, session.id, 'Anyone?'), 504, 'AI_UPSTREAM_TIMEOUT');
      expect(fake.requests).toHaveLength(2);
      await Promise.all(fake.requests.map((r) => r.settled));
      expect(fake.requests.every((r) => r.aborted)).toBe(true);
    });

    it('stores a stream that failed midway as incomplete and ends it with an error event', async () => {
      const { accessToken: token } = await register(api);
      const session = await createSession(api, token);
      fake.queue(
        reply.text('Partial answer that will not finish', {
          chunkChars: 8,
          failAfterDeltas: { deltas: 2, type: 'overloaded_error' },
        }),
      );
      const res = await sendMessage(api, token, session.id, 'Go', true);
      const events = parseSse(res.body);
      expect(
        events
          .filter((e) => e.event === 'text')
          .map((e) => e.data.delta)
          .join(''),
      ).toBe('Partial answer t');
      const error = events[events.length - 1];
      expect(error).toMatchObject({ event: 'error', data: { status: 503, code: 'AI_UPSTREAM_OVERLOADED' } });
      const [stored] = await messagesOf(api, token, session.id);
      expect(stored).toMatchObject({
        id: error.data.messageId,
        status: 'incomplete',
        content: [{ type: 'text', text: 'Partial answer t' }],
        error: { code: 'AI_UPSTREAM_OVERLOADED' },
      });
    });
  });

  it('aborts the upstream request when the client leaves mid-stream, and stores what arrived as incomplete', async () => {
    await api.app.listen(0, '127.0.0.1');
    const { port } = api.app.getHttpServer().address() as AddressInfo;
    const { accessToken: token } = await register(api);
    const session = await createSession(api, token);
    fake.queue(
      reply.text('First part, second part, and a third that never comes.', { chunkChars: 12, holdAfterDeltas: 2 }),
    );

    const received: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const req = http.request({
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: `/api/v1/ai/sessions/${session.id}/messages`,
        headers: { ...bearer(token), accept: 'text/event-stream', 'content-type': 'application/json' },
      });
      req.on('response', (res) => {
        let buffer = '';
        res.on('data', (chunk: Buffer) => {
          buffer += chunk.toString();
          const texts = parseSse(buffer.slice(0, buffer.lastIndexOf('\n\n') + 2)).filter((e) => e.event === 'text');
          if (texts.length === 2 && received.length === 0) {
            received.push(...texts.map((e) => e.data.delta));
            req.destroy();
            resolve();
          }
        });
      });
      req.on('error', (err) => (received.length === 2 ? undefined : reject(err)));
      req.end(JSON.stringify({ content: 'Tell me everything' }));
    });
    expect(received.join('')).toBe('First part, second part,');

    await fake.requests[0].settled;
    expect(fake.requests[0].aborted).toBe(true);
    let stored: any[] = [];
    for (let i = 0; i < 200 && stored.length < 2; i++) {
      stored = await messagesOf(api, token, session.id);
      if (stored.length < 2) await new Promise((r) => setTimeout(r, 25));
    }
    expect(stored[0]).toMatchObject({
      role: 'assistant',
      status: 'incomplete',
      content: [{ type: 'text', text: 'First part, second part,' }],
      stopReason: null,
      error: null,
    });
    // The abandoned stream is not left counted as in flight (only the scrape itself is).
    expect((await api.inject({ url: '/metrics' })).body).toMatch(/^http_requests_in_flight 1$/m);
  });

  it('answers 503 AI_DISABLED on every AI route without a key, while the rest works', async () => {
    const { accessToken: token } = await register(disabled);
    for (const url of [
      '/api/v1/ai/sessions',
      '/api/v1/ai/usage',
      '/api/v1/ai/proposals/00000000-0000-4000-8000-000000000000',
    ]) {
      expectProblem(await disabled.inject({ url, headers: bearer(token) }), 503, 'AI_DISABLED');
    }
    expectProblem(
      await disabled.inject({ method: 'POST', url: '/api/v1/ai/sessions', headers: bearer(token), payload: {} }),
      503,
      'AI_DISABLED',
    );
    expect((await disabled.inject({ url: '/api/v1/auth/me', headers: bearer(token) })).statusCode).toBe(200);
    expect((await disabled.inject('/health/detailed')).json().ai).toBe('disabled');
    expect((await api.inject('/health/detailed')).json().ai).toBe('configured');
  });

  it('documents the streaming route and the data of each of its event types in OpenAPI', async () => {
    const doc = (await api.inject('/docs-json')).json();
    const op = doc.paths['/api/v1/ai/sessions/{id}/messages'].post;
    expect(Object.keys(op.responses)).toEqual(
      expect.arrayContaining(['200', '201', '404', '429', '502', '503', '504']),
    );
    expect(op.responses['201'].content['application/json']).toBeDefined();
    const events = op.responses['200'].content['text/event-stream']['x-sse-events'];
    expect(Object.keys(events)).toEqual(['start', 'text', 'tool_call', 'tool_result', 'proposal', 'done', 'error']);
    for (const { $ref } of Object.values<{ $ref: string }>(events)) {
      expect(doc.components.schemas[$ref.split('/').pop()!]).toBeDefined();
    }
    expect(doc.components.schemas.AiTextEventDto.required).toEqual(['delta']);
  });

  it('exports AI metrics: requests by outcome, latency, tokens by model, tool calls, quota rejections', async () => {
    const text = (await api.inject('/metrics')).body;
    expect(text).toMatch(/ai_requests_total\{mode="json",outcome="completed"\} \d+/);
    expect(text).toMatch(/ai_requests_total\{mode="sse",outcome="incomplete"\} \d+/);
    expect(text).toMatch(/ai_requests_total\{mode="json",outcome="upstream_overloaded"\} \d+/);
    expect(text).toMatch(/ai_request_duration_seconds_bucket\{le="[\d.]+",mode="json",outcome="completed"\}/);
    expect(text).toMatch(/ai_time_to_first_token_seconds_count \d+/);
    expect(text).toMatch(/ai_tokens_total\{model="claude-test-1",direction="input"\} \d+/);
    expect(text).toMatch(/ai_tool_calls_total\{tool="get_market_coverage",outcome="ok"\} \d+/);
    expect(text).toMatch(/ai_tool_calls_total\{tool="propose_strategy",outcome="error"\} \d+/);
    expect(text).toMatch(/ai_quota_rejections_total\{tier="basic"\} [1-9]/);
  });
});
