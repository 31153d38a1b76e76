import { createHash, randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, IsNull, Repository } from 'typeorm';
import { NotFoundError, ValidationFailedError } from '../common/errors/domain-error';
import { AccessChangesService } from './access-changes.service';
import { AccessService } from './access.service';
import { ApiKey, ApiKeyScope } from './api-key.entity';
import { AuditService } from './audit.service';
import { UnauthenticatedError } from './auth-errors';
import { Principal } from './principal';
import { isUuid } from '../common/validation/uuid';

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
    @InjectRepository(ApiKey) private readonly keys: Repository<ApiKey>,
    @InjectDataSource() private readonly db: DataSource,
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
    const key = await this.keys.save(
      this.keys.create({
        userId: principal.userId,
        name: input.name,
        prefix: secret.slice(0, SHOWN_PREFIX_LENGTH),
        keyHash: hashApiKey(secret),
        knowledgeBaseIds,
        scopes: [...new Set(input.scopes)],
        expiresAt: input.expiresAt ?? null,
      }),
    );
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
    const qb = this.keys
      .createQueryBuilder('k')
      .innerJoin('users', 'u', 'u.id = k.user_id')
      .addSelect('u.email', 'owner_email')
      .where('k.revoked_at IS NULL')
      .orderBy('k.created_at', 'DESC');
    if (principal.role !== 'admin') qb.andWhere('k.user_id = :userId', { userId: principal.userId });
    const { entities, raw } = await qb.getRawAndEntities<{ owner_email: string }>();
    return entities.map((k, i) => ({ ...this.view(k), ownerEmail: raw[i]?.owner_email }));
  }

  async revoke(principal: Principal, id: string, ip?: string): Promise<void> {
    const key = isUuid(id) ? await this.keys.findOneBy({ id, revokedAt: IsNull() }) : null;
    if (!key || (principal.role !== 'admin' && key.userId !== principal.userId)) throw new NotFoundError('API key', id);
    await this.keys.update({ id }, { revokedAt: () => 'now()' });
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
    const rows: {
      id: string;
      user_id: string;
      knowledge_base_ids: string[] | null;
      scopes: ApiKeyScope[];
      expires_at: Date | null;
      last_used_at: Date | null;
      revoked_at: Date | null;
      email: string;
      role: 'admin' | 'member';
    }[] = await this.db.query(
      `SELECT k.id, k.user_id, k.knowledge_base_ids, k.scopes, k.expires_at, k.last_used_at, k.revoked_at, u.email, u.role
         FROM api_keys k JOIN users u ON u.id = k.user_id
        WHERE k.key_hash = $1`,
      [hashApiKey(secret)],
    );
    const key = rows[0];
    if (!key || key.revoked_at)
      throw new UnauthenticatedError('This API key is not valid (unknown or revoked)', 'INVALID_API_KEY');
    if (key.expires_at && key.expires_at.getTime() <= Date.now()) {
      throw new UnauthenticatedError('This API key has expired', 'API_KEY_EXPIRED');
    }
    if (!key.last_used_at || Date.now() - key.last_used_at.getTime() > LAST_USED_RESOLUTION_MS) {
      await this.db.query(
        `UPDATE api_keys SET last_used_at = now()
          WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`,
        [key.id],
      );
    }
    return {
      kind: 'apiKey',
      userId: key.user_id,
      email: key.email,
      role: key.role,
      knowledgeBaseIds: key.knowledge_base_ids ?? 'all',
      scopes: key.scopes,
      apiKeyId: key.id,
      expiresAt: key.expires_at ?? undefined,
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
