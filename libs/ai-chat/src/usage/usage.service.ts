import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AppConfig } from '@app/platform';
import { AiQuotaExceededError } from '../ai-chat.errors';
import { aiQuotaRejections } from '../ai-chat.metrics';
import type { TokenUsage } from '../domain/content';
import { AiTier, dailyMessageLimit, quotaDay, quotaResetAt, recentQuotaDays } from '../domain/quota';
import { UsageRepository } from './usage.repository';

export interface ChatUser {
  id: string;
  tier: AiTier;
}

export interface UsageReport {
  tier: AiTier;
  day: string;
  limit: number;
  used: number;
  remaining: number;
  resetAt: Date;
  usage: TokenUsage;
  /** The last days, oldest first, today included. */
  recent: Array<{ day: string; messages: number; usage: TokenUsage }>;
}

/** The daily message quota of each tier and the token accounting per user and day. */
@Injectable()
export class AiUsageService {
  constructor(
    @Inject(AppConfig) private readonly config: AppConfig,
    private readonly usage: UsageRepository,
  ) {}

  /**
   * Counts one message for `user` on `now`'s UTC day, inside the caller's transaction; throws
   * AI_QUOTA_EXCEEDED (with the reset time) when the tier's quota is used up.
   */
  async consume(manager: EntityManager, user: ChatUser, now: Date): Promise<string> {
    const day = quotaDay(now);
    const limit = dailyMessageLimit(user.tier, this.config.env);
    if ((await this.usage.consume(manager, user.id, day, limit)) === null) {
      aiQuotaRejections().labels({ tier: user.tier }).inc();
      throw new AiQuotaExceededError({ tier: user.tier, limit, resetAt: quotaResetAt(now), now });
    }
    return day;
  }

  refund(userId: string, day: string): Promise<void> {
    return this.usage.refund(userId, day);
  }

  addTokens(manager: EntityManager, userId: string, day: string, usage: TokenUsage): Promise<void> {
    return this.usage.addTokens(manager, userId, day, usage);
  }

  async report(user: ChatUser, now: Date, days: number): Promise<UsageReport> {
    const list = recentQuotaDays(now, days);
    const rows = new Map((await this.usage.days(user.id, list)).map((r) => [r.day, r]));
    const recent = list.map((day) => rows.get(day) ?? { day, messages: 0, usage: { inputTokens: 0, outputTokens: 0 } });
    const today = recent[recent.length - 1];
    const limit = dailyMessageLimit(user.tier, this.config.env);
    return {
      tier: user.tier,
      day: today.day,
      limit,
      used: today.messages,
      remaining: Math.max(0, limit - today.messages),
      resetAt: quotaResetAt(now),
      usage: today.usage,
      recent,
    };
  }
}
