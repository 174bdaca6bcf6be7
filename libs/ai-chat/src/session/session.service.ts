import { Injectable } from '@nestjs/common';
import { AiSessionNotFoundError } from '../ai-chat.errors';
import { AiContextAccess } from '../context/ai-context.access';
import { afterCursor, Page, toPage } from '../domain/page';
import { ProposalRecord, ProposalRepository } from '../proposal/proposal.repository';
import { MessageRecord, MessageRepository } from './message.repository';
import { SessionRecord, SessionRepository } from './session.repository';

/** A stored message with the strategy proposals attached to it. */
export interface MessageView extends MessageRecord {
  proposals: ProposalRecord[];
}

export interface NewSession {
  title?: string;
  strategyId?: string;
  backtestId?: string;
}

export const DEFAULT_SESSION_TITLE = 'New chat';

/** Chat sessions and their message lists, each only ever the owner's. */
@Injectable()
export class AiSessionService {
  constructor(
    private readonly sessions: SessionRepository,
    private readonly messages: MessageRepository,
    private readonly proposals: ProposalRepository,
    private readonly context: AiContextAccess,
  ) {}

  /**
   * Creates a session, checking first that an attached strategy or backtest is the owner's
   * (the port answers another user's id with its own 404).
   */
  async create(ownerId: string, input: NewSession): Promise<SessionRecord> {
    if (input.strategyId !== undefined) await this.context.get().strategy(ownerId, input.strategyId);
    if (input.backtestId !== undefined) await this.context.get().backtest(ownerId, input.backtestId);
    return this.sessions.create(ownerId, {
      title: input.title?.trim() || DEFAULT_SESSION_TITLE,
      strategyId: input.strategyId ?? null,
      backtestId: input.backtestId ?? null,
    });
  }

  async get(ownerId: string, id: string): Promise<SessionRecord> {
    const session = await this.sessions.get(ownerId, id);
    if (!session) throw new AiSessionNotFoundError(id);
    return session;
  }

  async list(ownerId: string, limit: number, cursor?: string): Promise<Page<SessionRecord>> {
    return toPage(await this.sessions.list(ownerId, { limit, after: afterCursor(cursor) }), limit);
  }

  async delete(ownerId: string, id: string): Promise<void> {
    if (!(await this.sessions.delete(ownerId, id))) throw new AiSessionNotFoundError(id);
  }

  /** The session's messages, newest first, with their proposals. */
  async messagesOf(ownerId: string, sessionId: string, limit: number, cursor?: string): Promise<Page<MessageView>> {
    const after = afterCursor(cursor);
    await this.get(ownerId, sessionId);
    const page = toPage(await this.messages.list(ownerId, sessionId, { limit, after }), limit);
    return { items: await this.withProposals(ownerId, page.items), nextCursor: page.nextCursor };
  }

  async withProposals(ownerId: string, messages: MessageRecord[]): Promise<MessageView[]> {
    const byMessage = await this.proposals.forMessages(
      ownerId,
      messages.filter((m) => m.role === 'assistant').map((m) => m.id),
    );
    return messages.map((m) => ({ ...m, proposals: byMessage.get(m.id) ?? [] }));
  }
}
