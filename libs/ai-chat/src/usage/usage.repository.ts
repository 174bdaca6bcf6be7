import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { TokenUsage } from '../domain/content';

export interface DailyUsage {
  day: string;
  messages: number;
  usage: TokenUsage;
}

/** The per-user, per-UTC-day counter behind the message quota, and the day's token sums. */
@Injectable()
export class UsageRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Counts one message against the day's quota in one statement: the row is created, or
   * incremented only while it is below `limit`, under the row lock the upsert takes, so
   * parallel requests cannot count past the limit. Returns the new count, or null when the
   * quota was already used up.
   */
  async consume(manager: EntityManager, userId: string, day: string, limit: number): Promise<number | null> {
    const rows: Array<{ messages: number }> = await manager.query(
      `INSERT INTO ai_usage_daily AS u (user_id, day, messages) VALUES ($1, $2, 1)
       ON CONFLICT (user_id, day) DO UPDATE SET messages = u.messages + 1 WHERE u.messages < $3
       RETURNING u.messages`,
      [userId, day, limit],
    );
    return rows[0]?.messages ?? null;
  }

  /** Gives back a message that was never answered. */
  async refund(userId: string, day: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE ai_usage_daily SET messages = greatest(messages - 1, 0) WHERE user_id = $1 AND day = $2`,
      [userId, day],
    );
  }

  async addTokens(manager: EntityManager, userId: string, day: string, usage: TokenUsage): Promise<void> {
    if (usage.inputTokens === 0 && usage.outputTokens === 0) return;
    await manager.query(
      `INSERT INTO ai_usage_daily AS u (user_id, day, input_tokens, output_tokens) VALUES ($1, $2, $3, $4)
       ON CONFLICT (user_id, day) DO UPDATE
         SET input_tokens = u.input_tokens + $3, output_tokens = u.output_tokens + $4`,
      [userId, day, usage.inputTokens, usage.outputTokens],
    );
  }

  /** The user's rows for these days (days without a row are absent). */
  async days(userId: string, days: string[]): Promise<DailyUsage[]> {
    const rows: Array<{ day: string; messages: number; input_tokens: string; output_tokens: string }> =
      await this.dataSource.query(
        `SELECT to_char(day, 'YYYY-MM-DD') AS day, messages, input_tokens, output_tokens FROM ai_usage_daily
         WHERE user_id = $1 AND day = ANY($2::date[])`,
        [userId, days],
      );
    return rows.map((r) => ({
      day: r.day,
      messages: r.messages,
      usage: { inputTokens: Number(r.input_tokens), outputTokens: Number(r.output_tokens) },
    }));
  }
}
