import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, IsNull, Repository } from 'typeorm';
import { isUuid } from '../common/validation/uuid';
import { ApiKey, ApiKeyScope } from './api-key.entity';

/** A key found by its secret's hash, with what its owner is now. */
export interface KeyWithOwner {
  id: string;
  userId: string;
  knowledgeBaseIds: string[] | null;
  scopes: ApiKeyScope[];
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  ownerEmail: string;
  ownerRole: 'admin' | 'member';
}

/** The `api_keys` table. */
@Injectable()
export class ApiKeyRepository {
  constructor(
    @InjectRepository(ApiKey) private readonly keys: Repository<ApiKey>,
    @InjectDataSource() private readonly db: DataSource,
  ) {}

  insert(key: Omit<ApiKey, 'id' | 'createdAt' | 'lastUsedAt' | 'revokedAt'>): Promise<ApiKey> {
    return this.keys.save(this.keys.create(key));
  }

  /** Keys not revoked, newest first, with their owner's email; `userId` narrows to one owner's. */
  async listLive(userId?: string): Promise<Array<ApiKey & { ownerEmail?: string }>> {
    const qb = this.keys
      .createQueryBuilder('k')
      .innerJoin('users', 'u', 'u.id = k.user_id')
      .addSelect('u.email', 'owner_email')
      .where('k.revoked_at IS NULL')
      .orderBy('k.created_at', 'DESC');
    if (userId !== undefined) qb.andWhere('k.user_id = :userId', { userId });
    const { entities, raw } = await qb.getRawAndEntities<{ owner_email: string }>();
    return entities.map((k, i) => Object.assign(k, { ownerEmail: raw[i]?.owner_email }));
  }

  findLive(id: string): Promise<ApiKey | null> {
    return isUuid(id) ? this.keys.findOneBy({ id, revokedAt: IsNull() }) : Promise.resolve(null);
  }

  async revoke(id: string): Promise<void> {
    await this.keys.update({ id }, { revokedAt: () => 'now()' });
  }

  async findByHash(keyHash: string): Promise<KeyWithOwner | null> {
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
      [keyHash],
    );
    const r = rows[0];
    if (!r) return null;
    return {
      id: r.id,
      userId: r.user_id,
      knowledgeBaseIds: r.knowledge_base_ids,
      scopes: r.scopes,
      expiresAt: r.expires_at,
      lastUsedAt: r.last_used_at,
      revokedAt: r.revoked_at,
      ownerEmail: r.email,
      ownerRole: r.role,
    };
  }

  /** Notes the key was used, at most once a minute (concurrent requests write once). */
  async touchLastUsed(id: string): Promise<void> {
    await this.db.query(
      `UPDATE api_keys SET last_used_at = now()
        WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`,
      [id],
    );
  }
}
