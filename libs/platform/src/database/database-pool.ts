import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

export interface PoolState {
  total: number;
  idle: number;
  waiting: number;
  max: number;
}

interface PgPoolLike {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
  options?: { max?: number };
}

/** Read-only view of the pg connection pool behind TypeORM, for health and metrics. */
@Injectable()
export class DatabasePool {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  state(): PoolState {
    const pool = (this.dataSource.driver as unknown as { master?: PgPoolLike }).master;
    return {
      total: pool?.totalCount ?? 0,
      idle: pool?.idleCount ?? 0,
      waiting: pool?.waitingCount ?? 0,
      max: pool?.options?.max ?? 0,
    };
  }

  /** Round-trip time of `SELECT 1` in milliseconds; rejects after `timeoutMs`. */
  async ping(timeoutMs: number): Promise<number> {
    const started = process.hrtime.bigint();
    await withTimeout(this.dataSource.query('SELECT 1'), timeoutMs, 'database');
    return Number(process.hrtime.bigint() - started) / 1e6;
  }

  /** True when migrations in `migrations/` have not all been applied. */
  async hasPendingMigrations(): Promise<boolean> {
    return this.dataSource.showMigrations();
  }
}

export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
