import type Anthropic from '@anthropic-ai/sdk';
import { StreamAccumulator, turnFromMessage } from './model-turn';

/** The events of a streamed answer with text and a tool call, as the Messages API sends them. */
function events(): Anthropic.RawMessageStreamEvent[] {
  return [
    {
      type: 'message_start',
      message: {
        id: 'msg_1',
        type: 'message',
        role: 'assistant',
        model: 'claude-test',
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 40, output_tokens: 1, cache_read_input_tokens: 900, cache_creation_input_tokens: 0 },
      },
    },
    { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
    { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Let me ' } },
    { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'check.' } },
    { type: 'content_block_stop', index: 0 },
    {
      type: 'content_block_start',
      index: 1,
      content_block: { type: 'tool_use', id: 'toolu_1', name: 'get_strategy', input: {} },
    },
    { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"strategyId":' } },
    { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '"abc"}' } },
    { type: 'content_block_stop', index: 1 },
    {
      type: 'message_delta',
      delta: { stop_reason: 'tool_use', stop_sequence: null },
      usage: { output_tokens: 25 },
    },
    { type: 'message_stop' },
  ] as unknown as Anthropic.RawMessageStreamEvent[];
}

describe(StreamAccumulator.name, () => {
  it('builds the turn: text, the tool call with its parsed input, stop reason and usage', () => {
    const acc = new StreamAccumulator();
    const deltas = events()
      .map((e) => acc.apply(e))
      .filter(Boolean);
    expect(deltas).toEqual(['Let me ', 'check.']);
    expect(acc.result()).toEqual({
      model: 'claude-test',
      blocks: [
        { type: 'text', text: 'Let me check.' },
        { type: 'tool_use', id: 'toolu_1', name: 'get_strategy', input: { strategyId: 'abc' } },
      ],
      stopReason: 'tool_use',
      // Prompt tokens include those read from the cache.
      usage: { inputTokens: 940, outputTokens: 25 },
      complete: true,
    });
  });

  it('keeps what arrived when the stream stops early, without a half-sent tool call', () => {
    const acc = new StreamAccumulator();
    for (const e of events().slice(0, 7)) acc.apply(e);
    expect(acc.result()).toEqual({
      model: 'claude-test',
      blocks: [{ type: 'text', text: 'Let me check.' }],
      stopReason: null,
      usage: { inputTokens: 940, outputTokens: 1 },
      complete: false,
    });
  });

  it('has nothing and has not started before message_start', () => {
    const acc = new StreamAccumulator();
    expect(acc.started).toBe(false);
    expect(acc.result()).toMatchObject({ blocks: [], complete: false });
  });
});

describe('turnFromMessage', () => {
  it('reads a non-streamed message', () => {
    const turn = turnFromMessage({
      id: 'msg_2',
      type: 'message',
      role: 'assistant',
      model: 'claude-test',
      content: [
        { type: 'text', text: 'Hi', citations: null },
        { type: 'tool_use', id: 't', name: 'list_backtests', input: { limit: 3 } },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: { input_tokens: 10, output_tokens: 4, cache_creation_input_tokens: 2000, cache_read_input_tokens: null },
    } as unknown as Anthropic.Message);
    expect(turn).toEqual({
      model: 'claude-test',
      blocks: [
        { type: 'text', text: 'Hi' },
        { type: 'tool_use', id: 't', name: 'list_backtests', input: { limit: 3 } },
      ],
      stopReason: 'tool_use',
      usage: { inputTokens: 2010, outputTokens: 4 },
      complete: true,
    });
  });
});
