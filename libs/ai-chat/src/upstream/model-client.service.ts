import { Inject, Injectable, Logger } from '@nestjs/common';
import type Anthropic from '@anthropic-ai/sdk';
import { anthropicSdk } from './anthropic-sdk';
import { AppConfig } from '@app/platform';
import { AiDisabledError, AiUpstreamError } from '../ai-chat.errors';
import { ModelTurn, StreamAccumulator, turnFromMessage } from './model-turn';
import { isUpstreamAbort, toUpstreamError } from './upstream-errors';

export interface ModelRequest {
  /** The fixed part first: it and the tools are marked for the model API's prompt cache. */
  system: string[];
  messages: Anthropic.MessageParam[];
  tools: Anthropic.Tool[];
  /** `none` makes the model answer in text (the last allowed round). */
  toolChoice: 'auto' | 'none';
}

/** The model failed; `partial` is what it had produced (streamed text, finished tool calls). */
export class ModelCallFailed extends Error {
  constructor(
    readonly error: AiUpstreamError,
    readonly partial: ModelTurn,
  ) {
    super(error.message);
    this.name = 'ModelCallFailed';
  }
}

const EMPTY = (model: string): ModelTurn => ({
  model,
  blocks: [],
  stopReason: null,
  usage: { inputTokens: 0, outputTokens: 0 },
  complete: false,
});

/**
 * Claude through the official SDK, configured from the environment: model, base URL, timeout
 * and bounded retries (the SDK retries 408/409/429/5xx/529 and connection failures with
 * exponential backoff, honouring Retry-After). Without ANTHROPIC_API_KEY there is no client and
 * every AI route answers AI_DISABLED.
 */
@Injectable()
export class ModelClient {
  private readonly client: Anthropic | null;
  readonly model: string;
  private readonly maxTokens: number;

  constructor(@Inject(AppConfig) config: AppConfig) {
    const env = config.env;
    this.model = env.ANTHROPIC_MODEL ?? 'claude-sonnet-5-5';
    this.maxTokens = env.AI_MAX_TOKENS;
    const logger = new Logger('Anthropic');
    this.client = env.ANTHROPIC_API_KEY
      ? new (anthropicSdk().default)({
          apiKey: env.ANTHROPIC_API_KEY,
          baseURL: env.ANTHROPIC_BASE_URL ?? 'https://api.anthropic.com',
          timeout: env.AI_TIMEOUT_MS,
          maxRetries: env.AI_MAX_RETRIES,
          openTelemetry: false,
          logLevel: 'warn',
          logger: {
            error: (message: string, ...rest: unknown[]) => logger.error({ detail: rest }, message),
            warn: (message: string, ...rest: unknown[]) => logger.warn({ detail: rest }, message),
            info: () => undefined,
            debug: () => undefined,
          },
        })
      : null;
  }

  get enabled(): boolean {
    return this.client !== null;
  }

  private get sdk(): Anthropic {
    if (!this.client) throw new AiDisabledError();
    return this.client;
  }

  private params(request: ModelRequest) {
    const cache = { cache_control: { type: 'ephemeral' as const } };
    const last = request.tools.length - 1;
    return {
      model: this.model,
      max_tokens: this.maxTokens,
      system: request.system.map((text, i) => ({ type: 'text' as const, text, ...(i === 0 ? cache : {}) })),
      messages: request.messages,
      tools: request.tools.map((tool, i) => (i === last ? { ...tool, ...cache } : tool)),
      tool_choice: { type: request.toolChoice },
    };
  }

  /** One non-streamed call. Throws ModelCallFailed. */
  async complete(request: ModelRequest, signal?: AbortSignal): Promise<ModelTurn> {
    try {
      return turnFromMessage(await this.sdk.messages.create({ ...this.params(request), stream: false }, { signal }));
    } catch (err) {
      if (signal?.aborted && isUpstreamAbort(err)) return EMPTY(this.model);
      throw new ModelCallFailed(toUpstreamError(err), EMPTY(this.model));
    }
  }

  /**
   * One streamed call: `onText` gets each text delta as it arrives. When `signal` aborts, the
   * upstream request is cancelled and the partial turn returned (`complete: false`). Throws
   * ModelCallFailed with what had arrived.
   */
  async stream(request: ModelRequest, onText: (delta: string) => void, signal?: AbortSignal): Promise<ModelTurn> {
    const acc = new StreamAccumulator();
    const partial = () => {
      const turn = acc.result();
      return { ...turn, model: turn.model || this.model };
    };
    try {
      const events = await this.sdk.messages.create({ ...this.params(request), stream: true }, { signal });
      for await (const event of events) {
        const delta = acc.apply(event);
        if (delta) onText(delta);
      }
    } catch (err) {
      if (signal?.aborted && isUpstreamAbort(err)) return partial();
      throw new ModelCallFailed(toUpstreamError(err), partial());
    }
    // The SDK ends the iteration quietly when the request is aborted; otherwise an answer
    // without message_stop means the upstream closed the stream early.
    const turn = partial();
    if (!turn.complete && !signal?.aborted) {
      throw new ModelCallFailed(
        new AiUpstreamError('error', 'The AI service ended its answer early; try again.'),
        turn,
      );
    }
    return turn;
  }
}
