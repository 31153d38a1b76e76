import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** Who did what and when: logins, key creation/revocation, deletions. Append-only. */
@Entity('audit_log')
export class AuditLogEntry {
  /** bigint: pg hands it over as a string. */
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  at: Date;

  /** e.g. auth.login, api_key.create, api_key.revoke, documents.delete, knowledge-bases.delete */
  @Column({ type: 'varchar', length: 64 })
  action: string;

  /** success | failure */
  @Column({ type: 'varchar', length: 16, default: 'success' })
  outcome: string;

  @Column({ type: 'uuid', nullable: true })
  actorUserId: string | null;

  @Column({ type: 'varchar', length: 320, nullable: true })
  actorEmail: string | null;

  @Column({ type: 'uuid', nullable: true })
  actorApiKeyId: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  targetType: string | null;

  @Column({ type: 'varchar', length: 200, nullable: true })
  targetId: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ip: string | null;

  @Column({ type: 'jsonb', default: () => `'{}'::jsonb` })
  details: Record<string, unknown>;
}
