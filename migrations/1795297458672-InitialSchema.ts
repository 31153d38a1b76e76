import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Dimensions that get an HNSW index. Chunks of any dimension can be stored (halfvec without a typmod);
 * an HNSW index needs a fixed one, so each common embedding size gets a partial expression index
 * (the search SQL repeats the same cast and predicate so the planner uses it). Empty indexes cost nothing.
 * 384 all-minilm · 512/768 nomic, embeddinggemma · 1024 bge-m3, mxbai, qwen3-embedding:0.6b ·
 * 1536/2048/3072 other models · 2560 qwen3-embedding:4b. halfvec indexes allow up to 4,000 dimensions.
 */
export const INDEXED_EMBEDDING_DIMENSIONS = [384, 512, 768, 1024, 1536, 2048, 2560, 3072];

export class InitialSchema1795297458672 implements MigrationInterface {
  name = 'InitialSchema1795297458672';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE EXTENSION IF NOT EXISTS vector`);
    await q.query(`CREATE EXTENSION IF NOT EXISTS pgcrypto`);

    await q.query(`
      CREATE TABLE knowledge_bases (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        slug varchar(120) NOT NULL UNIQUE,
        name varchar(200) NOT NULL,
        description text NOT NULL DEFAULT '',
        embedding_model varchar(200) NOT NULL,
        embedding_dimension int NOT NULL CHECK (embedding_dimension > 0),
        embedding_context_length int,
        chunk_size int NOT NULL DEFAULT 400 CHECK (chunk_size > 0),
        chunk_overlap int NOT NULL DEFAULT 60 CHECK (chunk_overlap >= 0),
        settings jsonb NOT NULL DEFAULT '{}'::jsonb,
        owner_id uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);

    await q.query(`
      CREATE TABLE documents (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        knowledge_base_id uuid NOT NULL REFERENCES knowledge_bases(id) ON DELETE CASCADE,
        filename varchar(255) NOT NULL,
        mime_type varchar(120) NOT NULL,
        size_bytes bigint NOT NULL,
        sha256 char(64) NOT NULL,
        storage_key varchar(255) NOT NULL,
        status varchar(16) NOT NULL DEFAULT 'queued'
          CHECK (status IN ('queued','parsing','chunking','embedding','ready','failed')),
        progress smallint NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
        status_detail text,
        page_count int,
        chunk_count int NOT NULL DEFAULT 0,
        error_code varchar(64),
        error_message text,
        version int NOT NULL DEFAULT 1,
        replaces_id uuid REFERENCES documents(id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX documents_kb_sha256_idx ON documents (knowledge_base_id, sha256)`);
    await q.query(`CREATE INDEX documents_kb_filename_idx ON documents (knowledge_base_id, filename)`);
    await q.query(`CREATE INDEX documents_kb_status_idx ON documents (knowledge_base_id, status)`);

    await q.query(`
      CREATE TABLE chunks (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        document_id uuid NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        knowledge_base_id uuid NOT NULL REFERENCES knowledge_bases(id) ON DELETE CASCADE,
        ordinal int NOT NULL,
        title text NOT NULL DEFAULT '',
        content text NOT NULL,
        page_from int,
        page_to int,
        enabled boolean NOT NULL DEFAULT true,
        token_count int NOT NULL DEFAULT 0,
        embedding_dims smallint,
        embedding halfvec,
        search_vector tsvector,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT chunks_document_ordinal_key UNIQUE (document_id, ordinal),
        CONSTRAINT chunks_embedding_dims_match CHECK (embedding IS NULL OR vector_dims(embedding) = embedding_dims)
      )`);
    await q.query(`CREATE INDEX chunks_kb_idx ON chunks (knowledge_base_id)`);
    await q.query(`CREATE INDEX chunks_search_vector_idx ON chunks USING gin (search_vector)`);
    // 1024-d vectors are stored out of line, so the heap looks small and PostgreSQL would plan no
    // parallel workers for index builds; two halve an HNSW build on these machines.
    await q.query(`ALTER TABLE chunks SET (parallel_workers = 2)`);
    for (const dims of INDEXED_EMBEDDING_DIMENSIONS) {
      await q.query(
        `CREATE INDEX chunks_embedding_hnsw_${dims}_idx ON chunks
           USING hnsw ((embedding::halfvec(${dims})) halfvec_cosine_ops)
           WHERE embedding_dims = ${dims}`,
      );
    }
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS chunks`);
    await q.query(`DROP TABLE IF EXISTS documents`);
    await q.query(`DROP TABLE IF EXISTS knowledge_bases`);
  }
}
