import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export const API_KEY_SCOPES = ['ask', 'write'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/** An API key; the secret itself is shown once at creation and only its SHA-256 is kept. */
@Entity('api_keys')
export class ApiKey {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** The owner: a key acts for this user, within its own knowledge bases and scopes. */
  @Column({ type: 'uuid' })
  userId: string;

  @Column({ type: 'varchar', length: 200 })
  name: string;

  /** The first characters of the secret, to tell keys apart in lists. */
  @Column({ type: 'varchar', length: 16 })
  prefix: string;

  @Column({ type: 'char', length: 64, select: false })
  keyHash: string;

  /** null = every knowledge base the owner may reach. */
  @Column({ type: 'uuid', array: true, nullable: true })
  knowledgeBaseIds: string[] | null;

  @Column({ type: 'text', array: true })
  scopes: ApiKeyScope[];

  @Column({ type: 'timestamptz', nullable: true })
  expiresAt: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  lastUsedAt: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  revokedAt: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
