import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { KnowledgeBaseSource } from './access.decorators';
import type { ConversationOwner } from './conversation-access';

/** The knowledge base behind a route's target, its owner and the caller's membership. */
export interface AccessTarget {
  knowledgeBaseId: string;
  ownerId: string | null;
  membership: 'read' | 'write' | null;
  /** The target's human name (knowledge base name, document file name), for the audit log. */
  label: string | null;
  /** Conversations only: who started it. */
  conversationOwner: ConversationOwner | null;
}

/**
 * One query per source: finds the knowledge base behind the id together with its owner and the
 * caller's membership ($1 = id or slug, $2 = user id).
 */
const RESOLVE_SQL: Record<KnowledgeBaseSource, (byId: boolean) => string> = {
  knowledgeBase: (byId) => `
    SELECT kb.id, kb.owner_id, m.permission, kb.name AS label
      FROM knowledge_bases kb
      LEFT JOIN knowledge_base_members m ON m.knowledge_base_id = kb.id AND m.user_id = $2
     WHERE ${byId ? 'kb.id = $1::uuid' : 'kb.slug = $1'} AND kb.deleted_at IS NULL`,
  knowledgeBaseSlug: () => `
    SELECT kb.id, kb.owner_id, m.permission, kb.name AS label
      FROM knowledge_bases kb
      LEFT JOIN knowledge_base_members m ON m.knowledge_base_id = kb.id AND m.user_id = $2
     WHERE kb.slug = $1 AND kb.deleted_at IS NULL`,
  document: () => `
    SELECT kb.id, kb.owner_id, m.permission, d.filename AS label
      FROM documents d
      JOIN knowledge_bases kb ON kb.id = d.knowledge_base_id
      LEFT JOIN knowledge_base_members m ON m.knowledge_base_id = kb.id AND m.user_id = $2
     WHERE d.id = $1::uuid AND kb.deleted_at IS NULL`,
  chunk: () => `
    SELECT kb.id, kb.owner_id, m.permission, NULL AS label
      FROM chunks c
      JOIN knowledge_bases kb ON kb.id = c.knowledge_base_id
      LEFT JOIN knowledge_base_members m ON m.knowledge_base_id = kb.id AND m.user_id = $2
     WHERE c.id = $1::uuid AND kb.deleted_at IS NULL`,
  conversation: () => `
    SELECT kb.id, kb.owner_id, m.permission, cv.title AS label, cv.user_id AS conversation_user_id, cv.api_key_id AS conversation_api_key_id
      FROM conversations cv
      JOIN knowledge_bases kb ON kb.id = cv.knowledge_base_id
      LEFT JOIN knowledge_base_members m ON m.knowledge_base_id = kb.id AND m.user_id = $2
     WHERE cv.id = $1::uuid AND kb.deleted_at IS NULL`,
};

/** The reads access decisions need: read-only, across knowledge bases, memberships and the things in them. */
@Injectable()
export class AccessRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** `ref` is a UUID when `byId`, else a slug (knowledge bases only). */
  async resolve(from: KnowledgeBaseSource, ref: string, byId: boolean, userId: string): Promise<AccessTarget | null> {
    const rows: {
      id: string;
      owner_id: string | null;
      permission: 'read' | 'write' | null;
      label: string | null;
      conversation_user_id?: string | null;
      conversation_api_key_id?: string | null;
    }[] = await this.db.query(RESOLVE_SQL[from](byId), [ref, userId]);
    const row = rows[0];
    if (!row) return null;
    return {
      knowledgeBaseId: row.id,
      ownerId: row.owner_id,
      membership: row.permission,
      label: row.label,
      conversationOwner:
        from === 'conversation'
          ? { userId: row.conversation_user_id ?? null, apiKeyId: row.conversation_api_key_id ?? null }
          : null,
    };
  }

  /** The knowledge bases a user owns or is a member of. */
  async knowledgeBaseIdsOf(userId: string): Promise<string[]> {
    const rows: { id: string }[] = await this.db.query(
      `SELECT id FROM knowledge_bases WHERE owner_id = $1 AND deleted_at IS NULL
       UNION
       SELECT m.knowledge_base_id FROM knowledge_base_members m
         JOIN knowledge_bases kb ON kb.id = m.knowledge_base_id AND kb.deleted_at IS NULL
        WHERE m.user_id = $1`,
      [userId],
    );
    return rows.map((r) => r.id);
  }
}

/**
 * A WHERE condition (TypeORM named parameters) limiting `column` to knowledge bases `userId` owns or is a
 * member of (when given) and to `keyIds` (when given), for list queries that should stay one statement.
 */
export function visibleKnowledgeBasesSql(
  column: string,
  userId: string | undefined,
  keyIds: string[] | undefined,
): { sql: string; params: Record<string, unknown> } {
  const parts: string[] = [];
  const params: Record<string, unknown> = {};
  if (userId !== undefined) {
    parts.push(
      `(${column} IN (SELECT id FROM knowledge_bases WHERE owner_id = :zkAccessUserId)` +
        ` OR ${column} IN (SELECT knowledge_base_id FROM knowledge_base_members WHERE user_id = :zkAccessUserId))`,
    );
    params.zkAccessUserId = userId;
  }
  if (keyIds !== undefined) {
    parts.push(`${column} = ANY(:zkAccessKeyIds::uuid[])`);
    params.zkAccessKeyIds = keyIds;
  }
  return { sql: parts.length ? parts.join(' AND ') : 'TRUE', params };
}
