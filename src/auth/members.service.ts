import { Injectable } from '@nestjs/common';
import { NotFoundError, ValidationFailedError } from '../common/errors/domain-error';
import { AccessChangesService } from './access-changes.service';
import { MemberPermission } from './knowledge-base-member.entity';
import { KnowledgeBaseMemberRepository, MemberView } from './knowledge-base-member.repository';
import { UsersService } from './users.service';

/** Who besides the owner (and admins) may read or write a knowledge base. */
@Injectable()
export class MembersService {
  constructor(
    private readonly members: KnowledgeBaseMemberRepository,
    private readonly users: UsersService,
    private readonly accessChanges: AccessChangesService,
  ) {}

  list(knowledgeBaseId: string): Promise<MemberView[]> {
    return this.members.list(knowledgeBaseId);
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
    const member = await this.members.upsert(knowledgeBaseId, user, permission);
    // A change may be a downgrade (write → read): open streams check again.
    this.accessChanges.publish({ userId: user.id });
    return member;
  }

  async revoke(knowledgeBaseId: string, userId: string): Promise<void> {
    if (!(await this.members.delete(knowledgeBaseId, userId))) throw new NotFoundError('Member', userId);
    this.accessChanges.publish({ userId });
  }
}
