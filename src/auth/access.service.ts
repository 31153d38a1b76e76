import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { NotFoundError } from '../common/errors/domain-error';
import { KnowledgeBaseAccessLevel, KnowledgeBaseSource } from './access.decorators';
import { ForbiddenError } from './auth-errors';
import { Principal } from './principal';
import { isUuid } from '../common/validation/uuid';

/** What a caller may do with one knowledge base, from weakest to strongest. */
export type KnowledgeBasePermission = 'none' | 'read' | 'write' | 'manage';
const RANK: Record<KnowledgeBasePermission, number> = { none: 0, read: 1, write: 2, manage: 3 };

export interface AccessDecision {
  knowledgeBaseId: string;
  /** The target's human name (knowledge base name, document file name) for the audit log. */
  label: string | null;
  permission: KnowledgeBasePermission;
}

const TARGET_NAMES: Record<KnowledgeBaseSource, string> = {
  knowledgeBase: 'Knowledge base',
  knowledgeBaseSlug: 'Knowledge base',
  document: 'Document',
  chunk: 'Chunk',
  conversation: 'Conversation',
};

/**
 * One query per source: finds the knowledge base behind the id together with its owner and the
 * caller's membership ($1 = id or slug, $2 = user id).
 */
const RESOLVE_SQL: Record<KnowledgeBaseSource, (byId: boolean) => string> = {
  knowledgeBase: (byId) => `
    SELECT kb.id, kb.owner_id, m.permission, kb.name AS label
      FROM knowledge_bases kb
      LEFT JOIN knowledge_base_members m ON m.knowledge_base_id = kb.id AND m.user_id = $2
     WHERE ${byId ? 'kb.id = $1::uuid' : 'kb.slug = $1'}`,
  knowledgeBaseSlug: () => `
    SELECT kb.id, kb.owner_id, m.permission, kb.name AS label
      FROM knowledge_bases kb
      LEFT JOIN knowledge_base_members m ON m.knowledge_base_id = kb.id AND m.user_id = $2
     WHERE kb.slug = $1`,
  document: () => `
    SELECT kb.id, kb.owner_id, m.permission, d.filename AS label
      FROM documents d
      JOIN knowledge_bases kb ON kb.id = d.knowledge_base_id
      LEFT JOIN knowledge_base_members m ON m.knowledge_base_id = kb.id AND m.user_id = $2
     WHERE d.id = $1::uuid`,
  chunk: () => `
    SELECT kb.id, kb.owner_id, m.permission, NULL AS label
      FROM chunks c
      JOIN knowledge_bases kb ON kb.id = c.knowledge_base_id
      LEFT JOIN knowledge_base_members m ON m.knowledge_base_id = kb.id AND m.user_id = $2
     WHERE c.id = $1::uuid`,
  conversation: () => `
    SELECT kb.id, kb.owner_id, m.permission, cv.title AS label, cv.user_id AS private_to
      FROM conversations cv
      JOIN knowledge_bases kb ON kb.id = cv.knowledge_base_id
      LEFT JOIN knowledge_base_members m ON m.knowledge_base_id = kb.id AND m.user_id = $2
     WHERE cv.id = $1::uuid`,
};

/**
 * Who may see and change which knowledge base. Admins: all. Members: the ones they own and the ones
 * they were given read/write on. API keys: their owner's rights, narrowed to the key's knowledge
 * bases and scopes (`ask` → read, `write` → write; never manage).
 */
@Injectable()
export class AccessService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Resolves the knowledge base a route names and checks `level` on it. Throws 404 when it does not
   * exist or the caller may not see it (existence is private), 403 when visible but not enough.
   */
  async authorize(
    principal: Principal,
    from: KnowledgeBaseSource,
    ref: unknown,
    level: KnowledgeBaseAccessLevel,
  ): Promise<AccessDecision> {
    const what = TARGET_NAMES[from];
    const value = typeof ref === 'string' ? ref.trim() : '';
    const byId = isUuid(value);
    if (!value || (!byId && from !== 'knowledgeBase' && from !== 'knowledgeBaseSlug') || value.length > 200) {
      throw new NotFoundError(what, JSON.stringify(typeof ref === 'string' ? ref.slice(0, 80) : (ref ?? null)));
    }
    const rows: {
      id: string;
      owner_id: string | null;
      permission: 'read' | 'write' | null;
      label: string | null;
      private_to?: string | null;
    }[] = await this.db.query(RESOLVE_SQL[from](byId), [value, principal.userId]);
    const row = rows[0];
    if (!row) throw new NotFoundError(what, value);
    // A conversation belongs to whoever asked: other members of the knowledge base do not see it.
    if (row.private_to && row.private_to !== principal.userId && principal.role !== 'admin') {
      throw new NotFoundError(what, value);
    }

    const permission = this.permissionOf(principal, row.id, row.owner_id, row.permission);
    if (permission === 'none') throw new NotFoundError(what, value);
    if (RANK[permission] < RANK[level]) throw this.insufficient(principal, level);
    return { knowledgeBaseId: row.id, label: row.label, permission };
  }

  /** The caller's permission on a knowledge base, given its owner and the caller's membership row. */
  permissionOf(
    principal: Principal,
    knowledgeBaseId: string,
    ownerId: string | null,
    membership: 'read' | 'write' | null,
  ): KnowledgeBasePermission {
    let permission: KnowledgeBasePermission =
      principal.role === 'admin' || (ownerId !== null && ownerId === principal.userId)
        ? 'manage'
        : (membership ?? 'none');
    if (principal.kind === 'apiKey') {
      const ids = principal.knowledgeBaseIds ?? 'all';
      if (ids !== 'all' && !ids.includes(knowledgeBaseId)) return 'none';
      const scopes = principal.scopes ?? [];
      const keyCeiling: KnowledgeBasePermission = scopes.includes('write') ? 'write' : 'read';
      if (RANK[permission] > RANK[keyCeiling]) permission = keyCeiling;
    }
    return permission;
  }

  /**
   * The knowledge bases the caller may see: `'all'` or a list of ids. For list endpoints:
   * `if (ids !== 'all') qb.andWhere('kb.id = ANY(:ids)', { ids })`.
   */
  async accessibleKnowledgeBaseIds(principal: Principal): Promise<'all' | string[]> {
    const keyIds = principal.kind === 'apiKey' ? (principal.knowledgeBaseIds ?? 'all') : 'all';
    if (principal.role === 'admin') return keyIds;
    const rows: { id: string }[] = await this.db.query(
      `SELECT id FROM knowledge_bases WHERE owner_id = $1
       UNION
       SELECT knowledge_base_id FROM knowledge_base_members WHERE user_id = $1`,
      [principal.userId],
    );
    const ids = rows.map((r) => r.id);
    return keyIds === 'all' ? ids : ids.filter((id) => keyIds.includes(id));
  }

  /**
   * A WHERE condition (TypeORM named parameters) limiting `column` to the knowledge bases the caller
   * may see, for list queries that should stay one statement:
   * `const f = access.visibleKnowledgeBasesCondition(p, 'kb.id'); qb.andWhere(f.sql, f.params)`.
   */
  visibleKnowledgeBasesCondition(
    principal: Principal,
    column: string,
  ): { sql: string; params: Record<string, unknown> } {
    const parts: string[] = [];
    const params: Record<string, unknown> = {};
    if (principal.role !== 'admin') {
      parts.push(
        `(${column} IN (SELECT id FROM knowledge_bases WHERE owner_id = :zkAccessUserId)` +
          ` OR ${column} IN (SELECT knowledge_base_id FROM knowledge_base_members WHERE user_id = :zkAccessUserId))`,
      );
      params.zkAccessUserId = principal.userId;
    }
    const keyIds = principal.kind === 'apiKey' ? (principal.knowledgeBaseIds ?? 'all') : 'all';
    if (keyIds !== 'all') {
      parts.push(`${column} = ANY(:zkAccessKeyIds::uuid[])`);
      params.zkAccessKeyIds = keyIds;
    }
    return { sql: parts.length ? parts.join(' AND ') : 'TRUE', params };
  }

  private insufficient(principal: Principal, level: KnowledgeBaseAccessLevel): ForbiddenError {
    if (principal.kind === 'apiKey') {
      if (level === 'manage')
        return new ForbiddenError('API keys cannot manage knowledge bases; sign in instead', 'API_KEY_NOT_ALLOWED');
      if (level === 'write' && !principal.scopes?.includes('write')) {
        return new ForbiddenError('This API key lacks the "write" scope', 'INSUFFICIENT_SCOPE');
      }
    }
    const needed = level === 'manage' ? 'owner' : level;
    return new ForbiddenError(`You need ${needed} permission on this knowledge base`, 'FORBIDDEN');
  }
}
