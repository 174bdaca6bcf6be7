import { CanActivate, Injectable } from '@nestjs/common';
import { AiDisabledError, ModelClient } from '@app/ai-chat';

/** Every AI route answers 503 AI_DISABLED while no ANTHROPIC_API_KEY is configured. */
@Injectable()
export class AiEnabledGuard implements CanActivate {
  constructor(private readonly model: ModelClient) {}

  canActivate(): boolean {
    if (!this.model.enabled) throw new AiDisabledError();
    return true;
  }
}
