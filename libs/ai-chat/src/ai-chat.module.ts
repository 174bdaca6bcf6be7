import { DynamicModule, Module, ModuleMetadata, Type } from '@nestjs/common';
import { MarketModule } from '@app/market';
import { AiChatService } from './chat/chat.service';
import { ConversationRunner } from './chat/conversation-runner';
import { AiContextAccess } from './context/ai-context.access';
import { AI_CONTEXT, AiContextPort } from './context/ai-context.port';
import { ContextBuilder } from './context/context-builder.service';
import { ProposalRepository } from './proposal/proposal.repository';
import { AiProposalService } from './proposal/proposal.service';
import { MessageRepository } from './session/message.repository';
import { SessionRepository } from './session/session.repository';
import { AiSessionService } from './session/session.service';
import { ToolExecutor } from './tools/tool-executor.service';
import { ModelClient } from './upstream/model-client.service';
import { UsageRepository } from './usage/usage.repository';
import { AiUsageService } from './usage/usage.service';

export interface AiChatModuleOptions {
  /**
   * The adapter that gives the assistant the user's strategies and backtests. Without one,
   * chatting works and whatever needs that data answers AI_CONTEXT_UNAVAILABLE.
   */
  context?: Type<AiContextPort>;
  /** Modules the adapter needs (e.g. the strategies and tiered-backtests modules). */
  imports?: ModuleMetadata['imports'];
}

/**
 * AI chat (docs/api.md): sessions and messages per user, Claude with server-side tools, strategy
 * proposals, per-tier daily quotas and token accounting.
 */
@Module({})
export class AiChatModule {
  static forRoot(options: AiChatModuleOptions = {}): DynamicModule {
    const context = options.context ? [options.context, { provide: AI_CONTEXT, useExisting: options.context }] : [];
    return {
      module: AiChatModule,
      imports: [MarketModule, ...(options.imports ?? [])],
      providers: [
        ...context,
        AiContextAccess,
        ModelClient,
        SessionRepository,
        MessageRepository,
        ProposalRepository,
        UsageRepository,
        AiUsageService,
        AiSessionService,
        AiProposalService,
        ContextBuilder,
        ToolExecutor,
        ConversationRunner,
        AiChatService,
      ],
      exports: [ModelClient, AiSessionService, AiChatService, AiProposalService, AiUsageService],
    };
  }
}
