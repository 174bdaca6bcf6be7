import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '@app/platform';
import { AiDisabledError, AiSessionNotFoundError, AiUpstreamError } from '../ai-chat.errors';
import { AiOutcome, aiRequestDuration, aiRequests, aiTimeToFirstToken, aiTokens } from '../ai-chat.metrics';
import { ContextBuilder } from '../context/context-builder.service';
import { buildSystemPrompt } from '../context/system-prompt';
import { NO_USAGE } from '../domain/content';
import { estimateTokens, toApiMessages, trimHistory } from '../domain/history';
import { ProposalRepository } from '../proposal/proposal.repository';
import { MessageRecord, MessageRepository } from '../session/message.repository';
import { MessageView, AiSessionService } from '../session/session.service';
import { SessionRecord, SessionRepository } from '../session/session.repository';
import { toolDefinitions } from '../tools/tool-definitions';
import type { ToolSession } from '../tools/tool-executor.service';
import { ModelClient } from '../upstream/model-client.service';
import { AiUsageService, ChatUser } from '../usage/usage.service';
import type { ChatSink } from './chat-events';
import { ConversationResult, ConversationRunner } from './conversation-runner';

/** Stored messages read as history; the token budget trims them further. */
const HISTORY_ROWS = 200;

/** A user message accepted for an answer: quota counted, message stored. */
export interface PendingAnswer {
  user: ChatUser;
  session: SessionRecord;
  userMessage: MessageRecord;
  /** The quota day the message was counted on. */
  day: string;
  receivedAt: Date;
}

export interface ChatExchange {
  userMessage: MessageView;
  message: MessageView;
}

export interface AnswerOptions {
  stream: boolean;
  sink: ChatSink;
  signal?: AbortSignal;
}

/** Sending a chat message and answering it, with the model and its tools. */
@Injectable()
export class AiChatService {
  private readonly logger = new Logger(AiChatService.name);
  private readonly tools = toolDefinitions();
  private readonly toolsTokens = estimateTokens(JSON.stringify(this.tools));

  constructor(
    @Inject(AppConfig) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly model: ModelClient,
    private readonly sessions: SessionRepository,
    private readonly messages: MessageRepository,
    private readonly proposals: ProposalRepository,
    private readonly sessionViews: AiSessionService,
    private readonly usage: AiUsageService,
    private readonly contextBuilder: ContextBuilder,
    private readonly runner: ConversationRunner,
  ) {}

  /**
   * Accepts a message: the session must be the user's, and the message is counted against the
   * day's quota and stored in one transaction. Every refusal happens here, before an answer
   * starts, so it is an ordinary problem response even for a streaming client.
   */
  async accept(user: ChatUser, sessionId: string, text: string, now = new Date()): Promise<PendingAnswer> {
    if (!this.model.enabled) throw new AiDisabledError();
    // One transaction, session first: another user's session is a 404 before the quota is touched.
    return this.dataSource.transaction(async (m) => {
      const session = await this.sessions.touch(m, user.id, sessionId);
      if (!session) throw new AiSessionNotFoundError(sessionId);
      const day = await this.usage.consume(m, user, now);
      const userMessage = await this.messages.insertUser(m, user.id, session.id, text);
      return { user, session, userMessage, day, receivedAt: now };
    });
  }

  /**
   * Answers an accepted message and stores the answer. An upstream failure before anything was
   * produced takes the message back (deleted, quota refunded) and throws; after something was
   * produced, or when the client went away, what arrived is stored as `incomplete`.
   */
  async answer(pending: PendingAnswer, options: AnswerOptions): Promise<ChatExchange> {
    const started = performance.now();
    const mode = options.stream ? 'sse' : 'json';
    let firstText = true;
    const sink: ChatSink = (event) => {
      if (event.type === 'text' && firstText) {
        firstText = false;
        aiTimeToFirstToken().observe((performance.now() - started) / 1000);
      }
      options.sink(event);
    };
    const { user, session } = pending;
    const toolSession: ToolSession = { userId: user.id, tier: user.tier, proposals: [], invalidProposals: 0 };
    let result: ConversationResult;
    try {
      const attached = await this.contextBuilder.build(user.id, session);
      const system = buildSystemPrompt({
        tier: user.tier,
        now: pending.receivedAt,
        context: attached.json,
        contextNotes: attached.notes,
      });
      const history = await this.messages.history(user.id, session.id, HISTORY_ROWS);
      const { kept } = trimHistory(
        history,
        this.config.env.AI_HISTORY_TOKEN_BUDGET,
        estimateTokens(system.join('\n')) + this.toolsTokens,
      );
      sink({ type: 'start', sessionId: session.id, userMessageId: pending.userMessage.id, model: this.model.model });
      result = await this.runner.run({
        system,
        messages: toApiMessages(kept),
        tools: this.tools,
        toolSession,
        stream: options.stream,
        sink,
        signal: options.signal,
      });
    } catch (err) {
      await this.takeBack(pending);
      this.count(mode, 'error', started);
      throw err;
    }
    if (result.error && result.blocks.length === 0) {
      await this.takeBack(pending);
      this.count(mode, `upstream_${result.error.failure}`, started);
      throw result.error;
    }
    const message = await this.store(pending, result, toolSession, Math.round(performance.now() - started));
    const outcome: AiOutcome = result.error
      ? `upstream_${result.error.failure}`
      : result.complete
        ? 'completed'
        : 'incomplete';
    this.count(mode, outcome, started);
    if (result.error) {
      throw new AiUpstreamError(result.error.failure, result.error.message, {
        ...result.error.extensions,
        messageId: message.id,
      });
    }
    const [userMessage, answer] = await this.sessionViews.withProposals(user.id, [pending.userMessage, message]);
    return { userMessage, message: answer };
  }

  private async store(
    pending: PendingAnswer,
    result: ConversationResult,
    toolSession: ToolSession,
    latencyMs: number,
  ): Promise<MessageRecord> {
    const { user, session } = pending;
    const message = await this.dataSource.transaction(async (m) => {
      const stored = await this.messages.insertAssistant(m, user.id, session.id, {
        status: result.complete && !result.error ? 'complete' : 'incomplete',
        content: result.blocks,
        model: result.model,
        usage: result.usage,
        latencyMs,
        stopReason: result.stopReason,
        error: result.error ? { code: result.error.code, message: result.error.message } : null,
      });
      await this.proposals.insertMany(m, user.id, session.id, stored.id, toolSession.proposals);
      await this.sessions.addActivity(m, user.id, session.id, { messages: 1, usage: result.usage });
      await this.usage.addTokens(m, user.id, pending.day, result.usage);
      return stored;
    });
    aiTokens().labels({ model: result.model, direction: 'input' }).inc(result.usage.inputTokens);
    aiTokens().labels({ model: result.model, direction: 'output' }).inc(result.usage.outputTokens);
    return message;
  }

  /** Undoes `accept` for a message that got no answer at all. */
  private async takeBack(pending: PendingAnswer): Promise<void> {
    try {
      await this.dataSource.transaction(async (m) => {
        await this.messages.delete(m, pending.user.id, pending.userMessage.id);
        await this.sessions.addActivity(m, pending.user.id, pending.session.id, { messages: -1, usage: NO_USAGE });
      });
      await this.usage.refund(pending.user.id, pending.day);
    } catch (err) {
      this.logger.error({ err, messageId: pending.userMessage.id }, 'could not take back an unanswered chat message');
    }
  }

  private count(mode: 'json' | 'sse', outcome: AiOutcome, started: number): void {
    aiRequests().labels({ mode, outcome }).inc();
    aiRequestDuration()
      .labels({ mode, outcome })
      .observe((performance.now() - started) / 1000);
  }
}
