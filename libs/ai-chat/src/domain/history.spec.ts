import type { ChatTurnMessage } from './content';
import { estimateMessageTokens, estimateTokens, toApiMessages, trimHistory } from './history';

const user = (text: string): ChatTurnMessage => ({ role: 'user', content: [{ type: 'text', text }] });
const assistant = (text: string): ChatTurnMessage => ({ role: 'assistant', content: [{ type: 'text', text }] });
const words = (n: number) => 'x'.repeat(n);

describe('trimHistory', () => {
  const history = [user(words(700)), assistant(words(350)), user(words(700)), assistant(words(350)), user('now?')];
  const turnCost = estimateMessageTokens(history[0]) + estimateMessageTokens(history[1]);
  const current = estimateMessageTokens(history[4]);

  it('keeps everything that fits', () => {
    expect(trimHistory(history, 10_000, 100)).toEqual({ kept: history, droppedTurns: 0 });
  });

  it('drops whole turns, oldest first, and keeps the fixed part within the budget', () => {
    const budget = 100 + current + turnCost; // room for one earlier turn only
    const { kept, droppedTurns } = trimHistory(history, budget, 100);
    expect(droppedTurns).toBe(1);
    expect(kept).toEqual(history.slice(2));
    expect(kept[0].role).toBe('user');
  });

  it('always keeps the message being answered, even past the budget', () => {
    expect(trimHistory([user(words(50_000))], 1_000, 5_000).kept).toHaveLength(1);
    expect(trimHistory(history, 1_000, 5_000)).toEqual({ kept: [history[4]], droppedTurns: 2 });
  });

  it('counts tool calls and results of a turn with it', () => {
    const withTools: ChatTurnMessage[] = [
      user('coverage?'),
      {
        role: 'assistant',
        content: [
          { type: 'tool_use', id: 't1', name: 'get_market_coverage', input: { exchange: 'x', symbol: 'A/B' } },
          { type: 'tool_result', toolUseId: 't1', content: words(3_500), isError: false },
          { type: 'text', text: 'done' },
        ],
      },
      user('and now?'),
    ];
    expect(estimateMessageTokens(withTools[1])).toBeGreaterThan(estimateTokens(words(3_500)));
    expect(trimHistory(withTools, 1_000, 0).kept).toEqual([withTools[2]]);
    expect(trimHistory(withTools, 1_100, 0).kept).toEqual(withTools);
  });
});

describe('toApiMessages', () => {
  it('splits an answer with tools into assistant calls, user results and the assistant text after them', () => {
    const api = toApiMessages([
      user('coverage?'),
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Checking.' },
          { type: 'tool_use', id: 't1', name: 'get_market_coverage', input: { exchange: 'x' } },
          { type: 'tool_result', toolUseId: 't1', content: '{"coverage":1}', isError: false },
          { type: 'tool_use', id: 't2', name: 'propose_strategy', input: {} },
          { type: 'tool_result', toolUseId: 't2', content: 'invalid', isError: true },
          { type: 'text', text: 'Here it is.' },
        ],
      },
    ]);
    expect(api).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'coverage?' }] },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Checking.' },
          { type: 'tool_use', id: 't1', name: 'get_market_coverage', input: { exchange: 'x' } },
        ],
      },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: '{"coverage":1}' }] },
      { role: 'assistant', content: [{ type: 'tool_use', id: 't2', name: 'propose_strategy', input: {} }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't2', content: 'invalid', is_error: true }] },
      { role: 'assistant', content: [{ type: 'text', text: 'Here it is.' }] },
    ]);
  });

  it('leaves out a tool call cut off before its result, empty text and an answer that produced nothing', () => {
    const api = toApiMessages([
      user('first'),
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Let me look' },
          { type: 'tool_use', id: 't9', name: 'get_strategy', input: {} },
        ],
      },
      user('second'),
      { role: 'assistant', content: [] },
      user('third'),
      { role: 'assistant', content: [{ type: 'text', text: '  ' }] },
    ]);
    expect(api).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'first' }] },
      { role: 'assistant', content: [{ type: 'text', text: 'Let me look' }] },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'second' },
          { type: 'text', text: 'third' },
        ],
      },
    ]);
  });

  it('merges an answer cut off after its tool results into the next question, results first', () => {
    const api = toApiMessages([
      user('q1'),
      {
        role: 'assistant',
        content: [
          { type: 'tool_use', id: 't1', name: 'get_strategy', input: {} },
          { type: 'tool_result', toolUseId: 't1', content: '{}', isError: false },
        ],
      },
      user('q2'),
    ]);
    expect(api[2]).toEqual({
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: 't1', content: '{}' },
        { type: 'text', text: 'q2' },
      ],
    });
  });

  it('starts with a user message when trimming left an answer first', () => {
    expect(toApiMessages([assistant('orphan'), user('q')])).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'q' }] },
    ]);
  });

  it('never lets a user message carry tool calls', () => {
    const api = toApiMessages([
      {
        role: 'user',
        content: [
          { type: 'tool_use', id: 'x', name: 'get_strategy', input: {} },
          { type: 'text', text: 'hi' },
        ],
      },
    ]);
    expect(api).toEqual([{ role: 'user', content: [{ type: 'text', text: 'hi' }] }]);
  });
});
