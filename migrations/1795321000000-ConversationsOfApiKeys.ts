import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A conversation started with an API key remembers the key: an `ask` key may open only the conversations
 * it started itself (not its owner's others). Conversations from before have no key and stay with the user.
 */
export class ConversationsOfApiKeys1795321000000 implements MigrationInterface {
  name = 'ConversationsOfApiKeys1795321000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE conversations ADD COLUMN api_key_id uuid REFERENCES api_keys(id) ON DELETE SET NULL`);
    await q.query(
      `CREATE INDEX conversations_api_key_idx ON conversations (api_key_id, knowledge_base_id, updated_at DESC) WHERE api_key_id IS NOT NULL`,
    );
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE conversations DROP COLUMN api_key_id`);
  }
}
