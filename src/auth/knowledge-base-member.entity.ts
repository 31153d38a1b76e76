import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

export const MEMBER_PERMISSIONS = ['read', 'write'] as const;
export type MemberPermission = (typeof MEMBER_PERMISSIONS)[number];

/** A user given `read` (search, ask, conversations) or `write` (also uploads, edits, deletes) on a knowledge base. */
@Entity('knowledge_base_members')
export class KnowledgeBaseMember {
  @PrimaryColumn({ type: 'uuid' })
  knowledgeBaseId: string;

  @PrimaryColumn({ type: 'uuid' })
  userId: string;

  @Column({ type: 'varchar', length: 8 })
  permission: MemberPermission;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
