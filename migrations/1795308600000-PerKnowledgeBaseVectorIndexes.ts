import { MigrationInterface, QueryRunner } from 'typeorm';
import { INDEXED_EMBEDDING_DIMENSIONS } from './1795297458672-InitialSchema';

/**
 * One HNSW index per knowledge base instead of one per embedding dimension (see
 * ChunkRepository.ensureVectorIndex): a knowledge base's first large load is indexed by a bulk build
 * (~4× faster than row-by-row HNSW inserts), and each search walks a graph of its own knowledge base's
 * chunks only. The worker's reconciler builds the indexes of existing knowledge bases on its first pass.
 */
export class PerKnowledgeBaseVectorIndexes1795308600000 implements MigrationInterface {
  name = 'PerKnowledgeBaseVectorIndexes1795308600000';

  public async up(q: QueryRunner): Promise<void> {
    for (const dims of INDEXED_EMBEDDING_DIMENSIONS) {
      await q.query(`DROP INDEX IF EXISTS chunks_embedding_hnsw_${dims}_idx`);
    }
  }

  public async down(q: QueryRunner): Promise<void> {
    const perKnowledgeBase: Array<{ name: string }> = await q.query(
      `SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema() AND indexname LIKE 'chunks\\_hnsw\\_kb\\_%'`,
    );
    for (const { name } of perKnowledgeBase) await q.query(`DROP INDEX IF EXISTS "${name}"`);
    for (const dims of INDEXED_EMBEDDING_DIMENSIONS) {
      await q.query(
        `CREATE INDEX chunks_embedding_hnsw_${dims}_idx ON chunks
           USING hnsw ((embedding::halfvec(${dims})) halfvec_cosine_ops)
           WHERE embedding_dims = ${dims}`,
      );
    }
  }
}
