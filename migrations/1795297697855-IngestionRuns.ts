import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `ingest_run` numbers the ingestion runs of a document (bumped by reindex) so each run has its own
 * fixed Bull job id; identical bytes are stored once per knowledge base (upload dedupe races end here).
 */
export class IngestionRuns1795297697855 implements MigrationInterface {
  name = 'IngestionRuns1795297697855';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE documents ADD COLUMN ingest_run int NOT NULL DEFAULT 1`);
    await q.query(`DROP INDEX IF EXISTS documents_kb_sha256_idx`);
    await q.query(`CREATE UNIQUE INDEX documents_kb_sha256_key ON documents (knowledge_base_id, sha256)`);
    // The reconciler looks for documents left in a non-final status.
    await q.query(
      `CREATE INDEX documents_unfinished_idx ON documents (updated_at) WHERE status NOT IN ('ready', 'failed')`,
    );
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS documents_unfinished_idx`);
    await q.query(`DROP INDEX IF EXISTS documents_kb_sha256_key`);
    await q.query(`CREATE INDEX documents_kb_sha256_idx ON documents (knowledge_base_id, sha256)`);
    await q.query(`ALTER TABLE documents DROP COLUMN ingest_run`);
  }
}
