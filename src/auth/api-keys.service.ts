import { createHash, randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { NotFoundError, ValidationFailedError } from '../common/errors/domain-error';
import { AccessChangesService } from './access-changes.service';
import { AccessService } from './access.service';
import { ApiKey, ApiKeyScope } from './api-key.entity';
import { ApiKeyRepository } from './api-key.repository';
import { AuditService } from './audit.service';
import { UnauthenticatedError } from './auth-errors';
import { Principal } from './principal';

export const API_KEY_PREFIX = 'zk_';
const SHOWN_PREFIX_LENGTH = 10;
/** lastUsedAt is written at most this often per key. */
const LAST_USED_RESOLUTION_MS = 60_000;

export interface NewApiKey {
  name: string;
  knowledgeBaseIds: string[] | 'all';
  scopes: ApiKeyScope[];
  expiresAt?: Date;
}

/** What the API shows of a key (never the secret, except `secret` once in the creation response). */
export interface ApiKeyView {
  id: string;
  name: string;
  /** e.g. `zk_AbC1234…` */
  prefix: string;
  userId: string;
  ownerEmail?: string;
  knowledgeBaseIds: string[] | 'all';
  scopes: ApiKeyScope[];
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  createdAt: Date;
}

export function hashApiKey(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

@Injectable()
export class ApiKeysService {
  constructor(
    private readonly keys: ApiKeyRepository,
    private readonly access: AccessService,
    private readonly audit: AuditService,
    private readonly accessChanges: AccessChangesService,
  ) {}

  /** Creates a key for the caller; the secret is in the result and nowhere else, ever. */
  async create(principal: Principal, input: NewApiKey, ip?: string): Promise<ApiKeyView & { secret: string }> {
    if (input.expiresAt && input.expiresAt.getTime() <= Date.now()) {
      throw new ValidationFailedError('expiresAt must be in the future');
    }
    let knowledgeBaseIds: string[] | null = null;
    if (input.knowledgeBaseIds !== 'all') {
      knowledgeBaseIds = [...new Set(input.knowledgeBaseIds)];
      // A key cannot name knowledge bases its owner cannot see.
      for (const id of knowledgeBaseIds) await this.access.authorize(principal, 'knowledgeBase', id, 'read');
    }
    const secret = API_KEY_PREFIX + randomBytes(32).toString('base64url');
    const key = await this.keys.insert({
      userId: principal.userId,
      name: input.name,
      prefix: secret.slice(0, SHOWN_PREFIX_LENGTH),
      keyHash: hashApiKey(secret),
      knowledgeBaseIds,
      scopes: [...new Set(input.scopes)],
      expiresAt: input.expiresAt ?? null,
    });
    await this.audit.record(
      principal,
      'api_key.create',
      { type: 'api_key', id: key.id },
      { name: key.name, prefix: key.prefix, scopes: key.scopes, knowledgeBaseIds: key.knowledgeBaseIds ?? 'all' },
      { ip },
    );
    return { ...this.view(key), secret };
  }

  /** The caller's live keys; an admin sees everyone's (to revoke a leaked one). */
  async list(principal: Principal): Promise<ApiKeyView[]> {
    const keys = await this.keys.listLive(principal.role === 'admin' ? undefined : principal.userId);
    return keys.map((k) => ({ ...this.view(k), ownerEmail: k.ownerEmail }));
  }

  async revoke(principal: Principal, id: string, ip?: string): Promise<void> {
    const key = await this.keys.findLive(id);
    if (!key || (principal.role !== 'admin' && key.userId !== principal.userId)) throw new NotFoundError('API key', id);
    await this.keys.revoke(id);
    this.accessChanges.publish({ apiKeyId: id });
    await this.audit.record(
      principal,
      'api_key.revoke',
      { type: 'api_key', id },
      { name: key.name, prefix: key.prefix },
      { ip },
    );
  }

  /** The principal behind a `zk_…` secret; 401 when unknown, revoked or expired. */
  async authenticate(secret: string): Promise<Principal> {
    const key = await this.keys.findByHash(hashApiKey(secret));
    if (!key || key.revokedAt)
      throw new UnauthenticatedError('This API key is not valid (unknown or revoked)', 'INVALID_API_KEY');
    if (key.expiresAt && key.expiresAt.getTime() <= Date.now()) {
      throw new UnauthenticatedError('This API key has expired', 'API_KEY_EXPIRED');
    }
    if (!key.lastUsedAt || Date.now() - key.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
      await this.keys.touchLastUsed(key.id);
    }
    return {
      kind: 'apiKey',
      userId: key.userId,
      email: key.ownerEmail,
      role: key.ownerRole,
      knowledgeBaseIds: key.knowledgeBaseIds ?? 'all',
      scopes: key.scopes,
      apiKeyId: key.id,
      expiresAt: key.expiresAt ?? undefined,
    };
  }

  private view(key: ApiKey): ApiKeyView {
    return {
      id: key.id,
      name: key.name,
      prefix: `${key.prefix}…`,
      userId: key.userId,
      knowledgeBaseIds: key.knowledgeBaseIds ?? 'all',
      scopes: key.scopes,
      expiresAt: key.expiresAt,
      lastUsedAt: key.lastUsedAt,
      createdAt: key.createdAt,
    };
  }
}
