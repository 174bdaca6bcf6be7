import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { canonicalJson, ParameterizedDefinition, validateStrategyDocument } from '@app/engine';
import { decodeCursor, encodeCursor, ValidationFailedError } from '@app/platform';
import { StrategyInvalidError, StrategyNotFoundError } from './strategy.errors';
import { StrategyRecord, StrategyRepository, StrategyVersionRecord } from './strategy.repository';

export interface StrategyInput {
  name: string;
  description?: string;
  tags?: string[];
  definition: ParameterizedDefinition;
}

/** The definition as the engine's validator accepts it, or 400 STRATEGY_INVALID with its JSON paths. */
export function checkDefinition(definition: unknown): ParameterizedDefinition {
  const result = validateStrategyDocument(definition);
  if (!result.ok) {
    throw new StrategyInvalidError(
      result.errors.map((e) => ({ field: e.path ? `definition.${e.path}` : 'definition', message: e.message })),
    );
  }
  return result.definition;
}

function versionCursor(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const match = /^v([1-9]\d{0,8})$/.exec(Buffer.from(raw, 'base64url').toString('utf8'));
  if (!match) throw new ValidationFailedError([{ field: 'cursor', message: 'is not a cursor this service issued' }]);
  return Number(match[1]);
}

/** Strategies and their immutable versions; every call is scoped to the owner. */
@Injectable()
export class StrategyService {
  constructor(private readonly strategies: StrategyRepository) {}

  async create(ownerId: string, input: StrategyInput): Promise<StrategyRecord> {
    const definition = checkDefinition(input.definition);
    return this.strategies.create(ownerId, {
      name: input.name,
      description: input.description ?? '',
      tags: [...new Set(input.tags ?? [])],
      definition,
    });
  }

  async get(ownerId: string, id: string): Promise<StrategyRecord> {
    const found = await this.strategies.find(ownerId, id);
    if (!found) throw new StrategyNotFoundError(id);
    return found;
  }

  async list(ownerId: string, query: { tag?: string; limit?: number; cursor?: string }) {
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    if (query.cursor !== undefined && !after) {
      throw new ValidationFailedError([{ field: 'cursor', message: 'is not a cursor this service issued' }]);
    }
    const page = await this.strategies.list(ownerId, { tag: query.tag }, { limit: query.limit ?? 50, after });
    return { items: page.items, nextCursor: page.next ? encodeCursor(page.next) : null };
  }

  async update(ownerId: string, id: string, changes: Partial<StrategyInput>): Promise<StrategyRecord> {
    const definition = changes.definition === undefined ? undefined : checkDefinition(changes.definition);
    const updated = await this.strategies.update(
      ownerId,
      id,
      {
        name: changes.name,
        description: changes.description,
        tags: changes.tags && [...new Set(changes.tags)],
        definition,
      },
      (latest, next) => canonicalJson(latest) === canonicalJson(next),
    );
    if (!updated) throw new StrategyNotFoundError(id);
    return updated;
  }

  /** Deleted for good, or softly while backtests reference one of its versions. */
  async delete(ownerId: string, id: string): Promise<'deleted' | 'soft-deleted'> {
    const outcome = await this.strategies.delete(ownerId, id);
    if (!outcome) throw new StrategyNotFoundError(id);
    return outcome;
  }

  async versions(ownerId: string, id: string, query: { limit?: number; cursor?: string }) {
    const before = versionCursor(query.cursor);
    const limit = query.limit ?? 50;
    const items = await this.strategies.versions(ownerId, id, { limit: limit + 1, before });
    if (items.length === 0 && before === undefined) throw new StrategyNotFoundError(id);
    const page = items.slice(0, limit);
    const nextCursor =
      items.length > limit ? Buffer.from(`v${page[page.length - 1].version}`, 'utf8').toString('base64url') : null;
    return { items: page, nextCursor };
  }

  /**
   * The version a backtest runs (the latest when `version` is absent), read inside the caller's
   * transaction with the strategy share-locked; 404 when the strategy or version is unknown.
   */
  async versionForBacktest(
    m: EntityManager,
    ownerId: string,
    id: string,
    version?: number,
  ): Promise<StrategyVersionRecord & { name: string }> {
    const found = await this.strategies.versionForUse(m, ownerId, id, version);
    if (!found) throw new StrategyNotFoundError(id, version);
    return found;
  }

  /** A version as it ran, also of a strategy deleted since. */
  async version(ownerId: string, id: string, version: number): Promise<StrategyVersionRecord & { name: string }> {
    const found = await this.strategies.version(ownerId, id, version);
    if (!found) throw new StrategyNotFoundError(id, version);
    return found;
  }
}
