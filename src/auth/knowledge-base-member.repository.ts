import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { MemberPermission } from './knowledge-base-member.entity';

export interface MemberView {
  knowledgeBaseId: string;
  userId: string;
  email: string;
  permission: MemberPermission;
  createdAt: Date;
}

interface MemberRow {
  knowledge_base_id: string;
  user_id: string;
  email: string;
  permission: MemberPermission;
  created_at: Date;
}

/** Who besides the owner may read or write which knowledge base (`knowledge_base_members`). */
@Injectable()
export class KnowledgeBaseMemberRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async list(knowledgeBaseId: string): Promise<MemberView[]> {
    const rows: MemberRow[] = await this.db.query(
      `SELECT m.knowledge_base_id, m.user_id, u.email, m.permission, m.created_at
         FROM knowledge_base_members m JOIN users u ON u.id = m.user_id
        WHERE m.knowledge_base_id = $1 ORDER BY u.email`,
      [knowledgeBaseId],
    );
    return rows.map(toView);
  }

  /** Grants or changes a membership. */
  async upsert(
    knowledgeBaseId: string,
    user: { id: string; email: string },
    permission: MemberPermission,
  ): Promise<MemberView> {
    const rows: MemberRow[] = await this.db.query(
      `INSERT INTO knowledge_base_members (knowledge_base_id, user_id, permission) VALUES ($1, $2, $3)
       ON CONFLICT (knowledge_base_id, user_id) DO UPDATE SET permission = EXCLUDED.permission
       RETURNING knowledge_base_id, user_id, permission, created_at`,
      [knowledgeBaseId, user.id, permission],
    );
    return toView({ ...rows[0], email: user.email });
  }

  /** False when there was no such membership. */
  async delete(knowledgeBaseId: string, userId: string): Promise<boolean> {
    const [, affected] = await this.db.query(
      `DELETE FROM knowledge_base_members WHERE knowledge_base_id = $1 AND user_id::text = $2`,
      [knowledgeBaseId, userId],
    );
    return affected > 0;
  }
}

function toView(r: MemberRow): MemberView {
  return {
    knowledgeBaseId: r.knowledge_base_id,
    userId: r.user_id,
    email: r.email,
    permission: r.permission,
    createdAt: r.created_at,
  };
}
