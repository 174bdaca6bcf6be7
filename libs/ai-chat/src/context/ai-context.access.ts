import { Inject, Injectable, Optional } from '@nestjs/common';
import { AiContextUnavailableError } from '../ai-chat.errors';
import { AI_CONTEXT, AiContextPort } from './ai-context.port';

/**
 * The bound strategies/backtests adapter. A process that binds none (see AiChatModule.forRoot)
 * still chats; only what needs strategy or backtest data answers AI_CONTEXT_UNAVAILABLE.
 */
@Injectable()
export class AiContextAccess {
  constructor(@Optional() @Inject(AI_CONTEXT) private readonly port?: AiContextPort) {}

  get bound(): boolean {
    return this.port !== undefined;
  }

  get(): AiContextPort {
    if (!this.port) throw new AiContextUnavailableError();
    return this.port;
  }
}
