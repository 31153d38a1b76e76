import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Chunks remember the ingestion run that wrote them, and a document the run whose chunks are searchable
 * (`live_run`). A reindex then writes its chunks beside the live ones, and the swap to the new run (delete
 * the old chunks, mark ready) is one transaction: the document stays searchable throughout, and a failed
 * reindex leaves the previous chunks serving.
 */
export class ChunksOfIngestRuns1795309800000 implements MigrationInterface {
  name = 'ChunksOfIngestRuns1795309800000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE documents ADD COLUMN live_run int`);
    await q.query(`UPDATE documents SET live_run = ingest_run WHERE status = 'ready'`);
    await q.query(`ALTER TABLE chunks ADD COLUMN ingest_run int NOT NULL DEFAULT 1`);
    await q.query(
      `UPDATE chunks c SET ingest_run = d.ingest_run FROM documents d WHERE d.id = c.document_id AND d.ingest_run <> 1`,
    );
    await q.query(`ALTER TABLE chunks DROP CONSTRAINT chunks_document_ordinal_key`);
    await q.query(
      `ALTER TABLE chunks ADD CONSTRAINT chunks_document_run_ordinal_key UNIQUE (document_id, ingest_run, ordinal)`,
    );
    // Fresh statistics: with stale ones the planner misjudges the search's filter on documents and scans
    // chunks instead of walking the HNSW index.
    await q.query(`ANALYZE documents`);
    await q.query(`ANALYZE chunks`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(
      `DELETE FROM chunks c USING documents d WHERE d.id = c.document_id AND c.ingest_run <> coalesce(d.live_run, d.ingest_run)`,
    );
    await q.query(`ALTER TABLE chunks DROP CONSTRAINT chunks_document_run_ordinal_key`);
    await q.query(`ALTER TABLE chunks ADD CONSTRAINT chunks_document_ordinal_key UNIQUE (document_id, ordinal)`);
    await q.query(`ALTER TABLE chunks DROP COLUMN ingest_run`);
    await q.query(`ALTER TABLE documents DROP COLUMN live_run`);
  }
}
