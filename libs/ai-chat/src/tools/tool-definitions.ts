import type Anthropic from '@anthropic-ai/sdk';
import { strategyJsonSchema } from '@app/engine';

/** The only tools the assistant has: four reads and the proposal. Nothing else is ever executed. */
export const TOOL_NAMES = [
  'get_strategy',
  'list_backtests',
  'get_backtest_result',
  'get_market_coverage',
  'propose_strategy',
] as const;
export type ToolName = (typeof TOOL_NAMES)[number];

/** A strategy tag: 1-40 letters, digits, spaces, dots, dashes or underscores (as the strategies feature stores them). */
export const TAG_PATTERN = /^[\p{L}\p{N}][\p{L}\p{N} ._-]{0,39}$/u;

export function isToolName(name: string): name is ToolName {
  return (TOOL_NAMES as readonly string[]).includes(name);
}

const uuid = (description: string) => ({ type: 'string', format: 'uuid', description });

/**
 * The engine's published schema, as the `definition` property of propose_strategy: its `$defs`
 * move to the root of the tool schema, where its `#/$defs/...` references resolve.
 */
function definitionSchema() {
  const { $defs, $schema: _schema, $id: _id, ...definition } = strategyJsonSchema;
  return { definition, $defs };
}

export function toolDefinitions(): Anthropic.Tool[] {
  const { definition, $defs } = definitionSchema();
  return [
    {
      name: 'get_strategy',
      description: "One of the user's strategies: name, description, tags, latest version and its full definition.",
      input_schema: {
        type: 'object',
        additionalProperties: false,
        properties: { strategyId: uuid('Id of the strategy.') },
        required: ['strategyId'],
      },
    },
    {
      name: 'list_backtests',
      description:
        "The user's backtests, newest first, with settings, status and headline figures. Filter by strategy or status.",
      input_schema: {
        type: 'object',
        additionalProperties: false,
        properties: {
          strategyId: uuid('Only backtests of this strategy.'),
          status: { type: 'string', enum: ['queued', 'running', 'completed', 'failed', 'cancelled'] },
          limit: { type: 'integer', minimum: 1, maximum: 20, default: 10 },
        },
      },
    },
    {
      name: 'get_backtest_result',
      description:
        'One backtest in full: settings, every metric, the ambiguity envelope, detail coverage, the five worst trades ' +
        'and, when it belongs to a comparison, how the precisions differ.',
      input_schema: {
        type: 'object',
        additionalProperties: false,
        properties: { backtestId: uuid('Id of the backtest.') },
        required: ['backtestId'],
      },
    },
    {
      name: 'get_market_coverage',
      description:
        'What market data is stored for an instrument: first and last candle, count, gaps, and trade prints. ' +
        'Use it to tell whether a range can be backtested.',
      input_schema: {
        type: 'object',
        additionalProperties: false,
        properties: {
          exchange: { type: 'string', description: 'Exchange id, e.g. binance.', maxLength: 32 },
          symbol: { type: 'string', description: 'BASE/QUOTE, e.g. BTC/USDT.', maxLength: 41 },
          from: { type: 'string', format: 'date-time', description: 'Start of the range (ISO 8601), optional.' },
          to: { type: 'string', format: 'date-time', description: 'End of the range (ISO 8601), optional.' },
        },
        required: ['exchange', 'symbol'],
      },
    },
    {
      name: 'propose_strategy',
      description:
        'Proposes a new strategy to the user. The server validates the definition: problems come back as an error ' +
        'to correct; a valid proposal is stored as a draft the user can save with one click.',
      input_schema: {
        type: 'object',
        additionalProperties: false,
        properties: {
          name: { type: 'string', minLength: 1, maxLength: 120 },
          description: {
            type: 'string',
            maxLength: 2000,
            description: 'What it trades on and why, in two or three sentences.',
          },
          tags: {
            type: 'array',
            items: { type: 'string', maxLength: 40, description: 'letters, digits, spaces, dots, dashes, underscores' },
            maxItems: 10,
          },
          definition,
        },
        required: ['name', 'definition'],
        $defs,
      },
    },
  ];
}
