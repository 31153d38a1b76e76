import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Question answering: conversations (owned by a user when accounts are on) and their messages. An
 * assistant message keeps the answer with its citations, token usage, timings and the trace of how it
 * was made; `status` says whether the answer is complete (a failed or cancelled stream keeps its partial
 * text, never marked complete).
 */
export class Conversations1795297697834 implements MigrationInterface {
  name = 'Conversations1795297697834';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE conversations (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        knowledge_base_id uuid NOT NULL REFERENCES knowledge_bases(id) ON DELETE CASCADE,
        user_id uuid REFERENCES users(id) ON DELETE CASCADE,
        title varchar(200) NOT NULL DEFAULT '',
        source varchar(16) NOT NULL DEFAULT 'api' CHECK (source IN ('api','openai')),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX conversations_kb_updated_idx ON conversations (knowledge_base_id, updated_at DESC)`);
    await q.query(`CREATE INDEX conversations_user_idx ON conversations (user_id)`);

    await q.query(`
      CREATE TABLE messages (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        conversation_id uuid NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        seq bigint GENERATED ALWAYS AS IDENTITY,
        role varchar(16) NOT NULL CHECK (role IN ('user','assistant')),
        content text NOT NULL,
        status varchar(16) NOT NULL DEFAULT 'complete' CHECK (status IN ('complete','failed','aborted')),
        citations jsonb NOT NULL DEFAULT '[]'::jsonb,
        usage jsonb,
        timings jsonb,
        trace jsonb,
        error jsonb,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp()
      )`);
    await q.query(`CREATE INDEX messages_conversation_seq_idx ON messages (conversation_id, seq)`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS messages`);
    await q.query(`DROP TABLE IF EXISTS conversations`);
  }
}
