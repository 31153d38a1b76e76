import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { NotFoundError, ValidationFailedError } from '../common/errors/domain-error';
import { AccessChangesService } from './access-changes.service';
import { MemberPermission } from './knowledge-base-member.entity';
import { UsersService } from './users.service';

export interface MemberView {
  knowledgeBaseId: string;
  userId: string;
  email: string;
  permission: MemberPermission;
  createdAt: Date;
}

/** Who besides the owner (and admins) may read or write a knowledge base. */
@Injectable()
export class MembersService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly users: UsersService,
    private readonly accessChanges: AccessChangesService,
  ) {}

  async list(knowledgeBaseId: string): Promise<MemberView[]> {
    const rows: MemberRow[] = await this.db.query(
      `SELECT m.knowledge_base_id, m.user_id, u.email, m.permission, m.created_at
         FROM knowledge_base_members m JOIN users u ON u.id = m.user_id
        WHERE m.knowledge_base_id = $1 ORDER BY u.email`,
      [knowledgeBaseId],
    );
    return rows.map(toView);
  }

  /** Grants (or changes) a user's permission; the user is named by id or email. */
  async grant(
    knowledgeBaseId: string,
    who: { userId?: string; email?: string },
    permission: MemberPermission,
  ): Promise<MemberView> {
    let user;
    if (who.userId) user = await this.users.get(who.userId);
    else if (who.email) user = await this.users.findByEmail(who.email);
    else throw new ValidationFailedError('Name the user by userId or email');
    if (!user) throw new NotFoundError('User', who.email ?? '');
    const rows: MemberRow[] = await this.db.query(
      `INSERT INTO knowledge_base_members (knowledge_base_id, user_id, permission) VALUES ($1, $2, $3)
       ON CONFLICT (knowledge_base_id, user_id) DO UPDATE SET permission = EXCLUDED.permission
       RETURNING knowledge_base_id, user_id, permission, created_at`,
      [knowledgeBaseId, user.id, permission],
    );
    // A change may be a downgrade (write → read): open streams check again.
    this.accessChanges.publish({ userId: user.id });
    return toView({ ...rows[0], email: user.email });
  }

  async revoke(knowledgeBaseId: string, userId: string): Promise<void> {
    const [, affected] = await this.db.query(
      `DELETE FROM knowledge_base_members WHERE knowledge_base_id = $1 AND user_id::text = $2`,
      [knowledgeBaseId, userId],
    );
    if (!affected) throw new NotFoundError('Member', userId);
    this.accessChanges.publish({ userId });
  }
}

interface MemberRow {
  knowledge_base_id: string;
  user_id: string;
  email: string;
  permission: MemberPermission;
  created_at: Date;
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
