import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import type { AnswerTimings, AnswerTrace, AnswerUsage, Citation } from './chat.types';

export type MessageRole = 'user' | 'assistant';
/** `failed` and `aborted` answers keep their partial text but never count as answers (nor as history). */
export type MessageStatus = 'complete' | 'failed' | 'aborted';

@Entity('messages')
export class Message {
  @PrimaryColumn('uuid')
  id: string;

  @Column({ type: 'uuid' })
  conversationId: string;

  /** Insertion order within the database (identity column); messages are listed by it. */
  @Column({ type: 'bigint', insert: false, update: false, select: false })
  seq: string;

  @Column({ type: 'varchar', length: 16 })
  role: MessageRole;

  @Column({ type: 'text' })
  content: string;

  @Column({ type: 'varchar', length: 16, default: 'complete' })
  status: MessageStatus;

  @Column({ type: 'jsonb', default: () => `'[]'::jsonb` })
  citations: Citation[];

  @Column({ type: 'jsonb', nullable: true })
  usage: AnswerUsage | null;

  @Column({ type: 'jsonb', nullable: true })
  timings: AnswerTimings | null;

  /** How the answer was made; read through GET …/messages/:mid/trace only. */
  @Column({ type: 'jsonb', nullable: true, select: false })
  trace: AnswerTrace | null;

  @Column({ type: 'jsonb', nullable: true })
  error: { code: string; message: string } | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
