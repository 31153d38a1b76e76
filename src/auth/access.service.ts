import { Injectable } from '@nestjs/common';
import { NotFoundError } from '../common/errors/domain-error';
import { isUuid } from '../common/validation/uuid';
import { KnowledgeBaseAccessLevel, KnowledgeBaseSource } from './access.decorators';
import { mayOpenConversation } from './conversation-access';
import { AccessRepository, visibleKnowledgeBasesSql } from './access.repository';
import { ForbiddenError } from './auth-errors';
import { Principal } from './principal';

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
 * Who may see and change which knowledge base. Admins: all. Members: the ones they own and the ones
 * they were given read/write on. API keys: their owner's rights, narrowed to the key's knowledge
 * bases and scopes (`ask` → read, `write` → write; never manage).
 */
@Injectable()
export class AccessService {
  constructor(private readonly targets: AccessRepository) {}

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
    const target = await this.targets.resolve(from, value, byId, principal.userId);
    if (!target) throw new NotFoundError(what, value);
    // A conversation belongs to whoever asked: other members of the knowledge base do not see it.
    if (target.conversationOwner && !mayOpenConversation(principal, target.conversationOwner)) {
      throw new NotFoundError(what, value);
    }

    const permission = this.permissionOf(principal, target.knowledgeBaseId, target.ownerId, target.membership);
    if (permission === 'none') throw new NotFoundError(what, value);
    if (RANK[permission] < RANK[level]) throw this.insufficient(principal, level);
    return { knowledgeBaseId: target.knowledgeBaseId, label: target.label, permission };
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
    const ids = await this.targets.knowledgeBaseIdsOf(principal.userId);
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
    const keyIds = principal.kind === 'apiKey' ? (principal.knowledgeBaseIds ?? 'all') : 'all';
    return visibleKnowledgeBasesSql(
      column,
      principal.role === 'admin' ? undefined : principal.userId,
      keyIds === 'all' ? undefined : keyIds,
    );
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
