import { Injectable } from '@nestjs/common';
import { ApiKeyRecord, ApiKeyRepository } from './api-key.repository';
import { AuditService, RequestMeta } from './audit.service';
import { ApiKeyLimitError, ApiKeyNotFoundError, InvalidExpiryError } from './auth.errors';
import { newApiKey, sha256Hex } from './domain/secrets';

export const MAX_ACTIVE_API_KEYS = 25;

/** API keys for scripts and notebooks; they act as their owner with the owner's tier. */
@Injectable()
export class ApiKeyService {
  constructor(
    private readonly keys: ApiKeyRepository,
    private readonly audit: AuditService,
  ) {}

  /** Creates a key; the plain key is returned here and never again. */
  async create(
    ownerId: string,
    input: { name: string; expiresAt?: Date },
    meta: RequestMeta,
  ): Promise<ApiKeyRecord & { key: string }> {
    if (input.expiresAt && input.expiresAt.getTime() <= Date.now()) throw new InvalidExpiryError();
    const { key, prefix } = newApiKey();
    const record = await this.keys.create(
      ownerId,
      { name: input.name, prefix, keyHash: sha256Hex(key), expiresAt: input.expiresAt ?? null },
      MAX_ACTIVE_API_KEYS,
    );
    if (!record) throw new ApiKeyLimitError(MAX_ACTIVE_API_KEYS);
    await this.audit.record('api_key.created', meta, {
      actorId: ownerId,
      details: { keyId: record.id, prefix: record.prefix, name: record.name },
    });
    return { ...record, key };
  }

  list(ownerId: string): Promise<ApiKeyRecord[]> {
    return this.keys.list(ownerId);
  }

  /** Another user's key answers API_KEY_NOT_FOUND, exactly like a key that does not exist. */
  async revoke(ownerId: string, id: string, meta: RequestMeta): Promise<void> {
    if (!(await this.keys.revoke(ownerId, id))) throw new ApiKeyNotFoundError();
    await this.audit.record('api_key.revoked', meta, { actorId: ownerId, details: { keyId: id } });
  }
}
