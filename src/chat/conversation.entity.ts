import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export type ConversationSource = 'api' | 'openai' | 'ollama';

/** A thread of questions and answers over one knowledge base, owned by the user who asked (when known). */
@Entity('conversations')
export class Conversation {
  /** Chosen by the service (not the database) so a streamed answer can name it before it is stored. */
  @PrimaryColumn('uuid')
  id: string;

  @Column({ type: 'uuid' })
  knowledgeBaseId: string;

  @Column({ type: 'uuid', nullable: true })
  userId: string | null;

  /** The API key that started it, if one did: such a key sees only its own conversations. */
  @Column({ type: 'uuid', nullable: true })
  apiKeyId: string | null;

  /** The first question, shortened. */
  @Column({ type: 'varchar', length: 200, default: '' })
  title: string;

  /** `openai`, `ollama`: created by /v1 or /ollama, whose clients send the history themselves. */
  @Column({ type: 'varchar', length: 16, default: 'api' })
  source: ConversationSource;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
