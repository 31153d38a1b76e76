import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * (1) No two documents of a knowledge base share a file name and version: concurrent uploads of one name
 * used to both become version N and both stay live. Existing duplicates are renumbered in upload order.
 * (2) Knowledge bases get `deleted_at`: deletion marks the row (every lookup leaves it out at once) and
 * the contents are purged in the background.
 */
export class VersionKeyAndDeletedKnowledgeBases1795310000000 implements MigrationInterface {
  name = 'VersionKeyAndDeletedKnowledgeBases1795310000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      UPDATE documents d SET version = numbered.version
        FROM (SELECT id, row_number() OVER (PARTITION BY knowledge_base_id, filename ORDER BY version, created_at, id)::int AS version
                FROM documents) numbered
       WHERE numbered.id = d.id AND numbered.version <> d.version
         AND EXISTS (SELECT 1 FROM documents o WHERE o.knowledge_base_id = d.knowledge_base_id AND o.filename = d.filename
                        AND o.version = d.version AND o.id <> d.id)`);
    await q.query(`DROP INDEX IF EXISTS documents_kb_filename_idx`);
    await q.query(
      `CREATE UNIQUE INDEX documents_kb_filename_version_key ON documents (knowledge_base_id, filename, version)`,
    );
    await q.query(`ALTER TABLE knowledge_bases ADD COLUMN deleted_at timestamptz`);
    await q.query(
      `CREATE INDEX knowledge_bases_deleted_idx ON knowledge_bases (deleted_at) WHERE deleted_at IS NOT NULL`,
    );
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM knowledge_bases WHERE deleted_at IS NOT NULL`);
    await q.query(`DROP INDEX IF EXISTS knowledge_bases_deleted_idx`);
    await q.query(`ALTER TABLE knowledge_bases DROP COLUMN deleted_at`);
    await q.query(`DROP INDEX IF EXISTS documents_kb_filename_version_key`);
    await q.query(`CREATE INDEX documents_kb_filename_idx ON documents (knowledge_base_id, filename)`);
  }
}
