import { MigrationInterface, QueryRunner } from 'typeorm';

/** Conversations started through the Ollama-compatible API (/ollama) say so, like the /v1 ones. */
export class OllamaConversations1795322000000 implements MigrationInterface {
  name = 'OllamaConversations1795322000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE conversations DROP CONSTRAINT IF EXISTS conversations_source_check`);
    await q.query(
      `ALTER TABLE conversations ADD CONSTRAINT conversations_source_check CHECK (source IN ('api','openai','ollama'))`,
    );
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`UPDATE conversations SET source = 'openai' WHERE source = 'ollama'`);
    await q.query(`ALTER TABLE conversations DROP CONSTRAINT IF EXISTS conversations_source_check`);
    await q.query(
      `ALTER TABLE conversations ADD CONSTRAINT conversations_source_check CHECK (source IN ('api','openai'))`,
    );
  }
}
