import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, Repository } from 'typeorm';
import type { AppConfig } from '../config/app-config';
import { segmentForKeywords } from '../common/text/keyword-segmenter';
import { isUuid } from '../common/validation/uuid';
import { ADVISORY_LOCK, withAdvisoryLock } from '../database/advisory-lock';
import { MAX_EMBEDDING_DIMENSION } from '../database/vector-limits';
import { KnowledgeBase } from '../knowledge-bases/knowledge-base.entity';
import { Chunk } from './chunk.entity';
import type { ChunkLocation } from './chunk-location';

/**
 * SQL of a chunk's keyword vector (`keyword_vector` in the KeywordStatistics migration): the segmented text's
 * lexemes and the raw text's identifiers (`R_PAPERSIZE`, `as.numeric`, `\\newpage`) as terms of their own.
 */
function keywordVectorSql(segmented: string, title: string, content: string): string {
  return `keyword_vector(${segmented}, ${title} || E'\\n' || ${content})`;
}

/** A chunk ready to be written: its text, where it came from, and its embedding. */
export interface ChunkWrite {
  ordinal: number;
  title: string;
  content: string;
  pageFrom: number | null;
  pageTo: number | null;
  /** Slides, chapters or a sheet's rows, for formats without PDF pages. */
  location?: ChunkLocation | null;
  tokenCount: number;
  embedding: number[];
  /** keywordText(title, content), when the caller computed it ahead (ingestion does, while chunking). */
  keywords?: string;
}

const VECTOR_INDEX_PREFIX = 'chunks_hnsw_kb_';

/** Where a statement runs: the pool, or a transaction's connection. */
type Queryable = Pick<EntityManager, 'query'>;

/**
 * HNSW graph quality of the knowledge bases' vector indexes (pgvector's default is 64). On 1,000,000 clustered
 * 1024-d chunks (bench:search) a graph built with 64 reached recall@10 0.940 at ef_search 400 and no more
 * than 0.950 however wide the search; built with 128, 0.990 at ef_search 200 and 1.000 at 400. The build
 * and every insert into the graph cost more (measured in bench:ingest).
 */
export const HNSW_EF_CONSTRUCTION = 128;

/** The HNSW index of one knowledge base's chunks (a partial index: its id and dimension are the predicate). */
export function vectorIndexName(knowledgeBaseId: string): string {
  if (!isUuid(knowledgeBaseId)) throw new Error(`not a UUID: ${knowledgeBaseId}`);
  return VECTOR_INDEX_PREFIX + knowledgeBaseId.replace(/-/g, '').toLowerCase();
}

export interface VectorIndexOptions {
  minChunks: number;
  buildMemoryMb: number;
}

export function vectorIndexOptions(config: AppConfig): VectorIndexOptions {
  return { minChunks: config.vectorIndexMinChunks, buildMemoryMb: config.vectorIndexBuildMemoryMb };
}

export type VectorIndexOutcome = 'exists' | 'built' | 'too-small' | 'not-indexable';

/**
 * pgvector's text form, which is exactly a JSON array: JSON.stringify is the fastest way to write a
 * million numbers (3× a hand-written loop). Non-finite values (never sent by a sane model) become 0.
 */
export function toVectorLiteral(vector: number[]): string {
  for (let i = 0; i < vector.length; i++) {
    if (!Number.isFinite(vector[i])) return JSON.stringify(vector.map((x) => (Number.isFinite(x) ? x : 0)));
  }
  return JSON.stringify(vector);
}

/** The text the keyword index sees: jieba-segmented title and content (queries are segmented the same way). */
export function keywordText(title: string, content: string): string {
  return segmentForKeywords(title ? `${title}\n${content}` : content);
}

/**
 * Every write to `chunks` (embeddings as halfvec with their dimension, so the partial HNSW index of
 * that dimension applies; the tsvector of the segmented text, for the GIN index), the chunk pages an
 * admin reads, and each knowledge base's HNSW index. Reads for search live in
 * src/retrieval/chunk-search.repository.ts.
 */
@Injectable()
export class ChunkRepository {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @InjectRepository(Chunk) private readonly rows: Repository<Chunk>,
  ) {}

  /** The chunk, unless its knowledge base is deleted (being purged). */
  async findById(chunkId: string): Promise<Chunk | null> {
    if (!isUuid(chunkId)) return null;
    return this.rows
      .createQueryBuilder('c')
      .innerJoin(KnowledgeBase, 'kb', 'kb.id = c.knowledgeBaseId AND kb.deletedAt IS NULL')
      .where('c.id = :id', { id: chunkId })
      .getOne();
  }

  /** One page of a run's chunks, in document order. */
  async page(
    documentId: string,
    run: number,
    page: number,
    pageSize: number,
  ): Promise<{ items: Chunk[]; total: number }> {
    const [items, total] = await this.rows.findAndCount({
      where: { documentId, ingestRun: run },
      order: { ordinal: 'ASC' },
      skip: (page - 1) * pageSize,
      take: pageSize,
    });
    return { items, total };
  }

  /**
   * Writes a batch of chunks in one statement (unnest of arrays: one round-trip, one plan).
   * An ordinal already present is left alone, so a retried batch never duplicates anything.
   */
  async insertChunks(
    documentId: string,
    run: number,
    knowledgeBaseId: string,
    dims: number,
    chunks: ChunkWrite[],
  ): Promise<void> {
    if (!chunks.length) return;
    await this.db.query(
      `INSERT INTO chunks (document_id, ingest_run, knowledge_base_id, ordinal, title, content, page_from, page_to,
                           token_count, embedding_dims, embedding, search_vector, location)
       SELECT $1, $12, $2, t.ordinal, t.title, t.content, t.page_from, t.page_to, t.token_count,
              $3, t.embedding::halfvec, ${keywordVectorSql('t.keywords', 't.title', 't.content')}, t.location::jsonb
         FROM unnest($4::int[], $5::text[], $6::text[], $7::int[], $8::int[], $9::int[], $10::text[], $11::text[],
                     $13::text[])
              AS t(ordinal, title, content, page_from, page_to, token_count, embedding, keywords, location)
       ON CONFLICT (document_id, ingest_run, ordinal) DO NOTHING`,
      [
        documentId,
        knowledgeBaseId,
        dims,
        chunks.map((c) => c.ordinal),
        chunks.map((c) => c.title),
        chunks.map((c) => c.content),
        chunks.map((c) => c.pageFrom),
        chunks.map((c) => c.pageTo),
        chunks.map((c) => c.tokenCount),
        chunks.map((c) => toVectorLiteral(c.embedding)),
        chunks.map((c) => c.keywords ?? keywordText(c.title, c.content)),
        run,
        chunks.map((c) => (c.location ? JSON.stringify(c.location) : null)),
      ],
    );
  }

  /** Ordinal → md5 of title and content of the chunks a run already wrote (to resume an interrupted run). */
  async storedChunkDigests(documentId: string, run: number): Promise<Map<number, string>> {
    const rows: Array<{ ordinal: number; digest: string }> = await this.db.query(
      `SELECT ordinal, md5(title || E'\\x1f' || content) AS digest FROM chunks
        WHERE document_id = $1 AND ingest_run = $2 AND embedding IS NOT NULL`,
      [documentId, run],
    );
    return new Map(rows.map((r) => [r.ordinal, r.digest]));
  }

  /** Removes the document's chunks of every run but `keepRun` (all of them when it is null). */
  async deleteAllButRun(documentId: string, keepRun: number | null, on: Queryable = this.db): Promise<void> {
    await on.query(`DELETE FROM chunks WHERE document_id = $1 AND ingest_run IS DISTINCT FROM $2`, [
      documentId,
      keepRun,
    ]);
  }

  async deleteChunksByOrdinal(documentId: string, run: number, ordinals: number[]): Promise<void> {
    if (!ordinals.length) return;
    await this.db.query(`DELETE FROM chunks WHERE document_id = $1 AND ingest_run = $2 AND ordinal = ANY($3::int[])`, [
      documentId,
      run,
      ordinals,
    ]);
  }

  /**
   * Gives the knowledge base its HNSW index once it holds `minChunks` embedded chunks. Built in bulk with
   * CREATE INDEX CONCURRENTLY (searches and other writes go on meanwhile; a graph that fits
   * maintenance_work_mem builds ~4× faster than the same rows inserted one by one into an existing index).
   * After that, new chunks join the index as they are written. Safe to call from several workers: index
   * builds and drops on `chunks` are serialised (two at once deadlock), and a build left invalid by a
   * crash is dropped and redone.
   */
  async ensureVectorIndex(
    knowledgeBaseId: string,
    dims: number,
    options: VectorIndexOptions,
  ): Promise<VectorIndexOutcome> {
    const name = vectorIndexName(knowledgeBaseId);
    if (!Number.isInteger(dims) || dims < 1 || dims > MAX_EMBEDDING_DIMENSION) return 'not-indexable';
    if ((await this.vectorIndexState(name)) === 'valid') return 'exists';
    const [{ chunks }]: Array<{ chunks: number }> = await this.db.query(
      `SELECT count(*)::int AS chunks FROM (
         SELECT 1 FROM chunks WHERE knowledge_base_id = $1 AND embedding_dims = $2 LIMIT $3) enough`,
      [knowledgeBaseId, dims, options.minChunks],
    );
    if (chunks < options.minChunks) return 'too-small';

    return withAdvisoryLock(this.db, ADVISORY_LOCK.indexDdl, 'chunks', 'wait', async (runner) => {
      const state = await this.vectorIndexState(name, runner.query.bind(runner));
      if (state === 'valid') return 'exists';
      if (state === 'invalid') await runner.query(`DROP INDEX CONCURRENTLY IF EXISTS ${name}`);
      await runner.query(`SET maintenance_work_mem = '${Math.floor(options.buildMemoryMb)}MB'`);
      try {
        // The same expression, operator class and predicate as the search's vector leg (buildSearchSql).
        await runner.query(
          `CREATE INDEX CONCURRENTLY IF NOT EXISTS ${name} ON chunks
             USING hnsw ((embedding::halfvec(${dims})) halfvec_cosine_ops)
             WITH (m = 16, ef_construction = ${HNSW_EF_CONSTRUCTION})
             WHERE knowledge_base_id = '${knowledgeBaseId}'::uuid AND embedding_dims = ${dims}`,
        );
      } finally {
        await runner.query(`RESET maintenance_work_mem`).catch(() => undefined);
      }
      return 'built';
    });
  }

  /** Removes a knowledge base's HNSW index (its rows are gone or going). */
  async dropVectorIndex(knowledgeBaseId: string): Promise<void> {
    await withAdvisoryLock(this.db, ADVISORY_LOCK.indexDdl, 'chunks', 'wait', (runner) =>
      runner.query(`DROP INDEX CONCURRENTLY IF EXISTS ${vectorIndexName(knowledgeBaseId)}`),
    );
  }

  /** Knowledge-base ids of HNSW indexes whose knowledge base no longer exists (deleted mid-build, say). */
  async orphanedVectorIndexes(): Promise<string[]> {
    const rows: Array<{ name: string }> = await this.db.query(
      `SELECT i.indexname AS name FROM pg_indexes i
        WHERE i.schemaname = current_schema() AND i.tablename = 'chunks' AND i.indexname LIKE '${VECTOR_INDEX_PREFIX.replace(/_/g, '\\_')}%'
          AND NOT EXISTS (SELECT 1 FROM knowledge_bases kb
                           WHERE replace(kb.id::text, '-', '') = substr(i.indexname, ${VECTOR_INDEX_PREFIX.length + 1}))`,
    );
    return rows.map(({ name }) => {
      const hex = name.slice(VECTOR_INDEX_PREFIX.length);
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    });
  }

  /** Knowledge bases (id, dimension) without a valid HNSW index: candidates for ensureVectorIndex. */
  async knowledgeBasesWithoutVectorIndex(): Promise<Array<{ id: string; dims: number }>> {
    return this.db.query(
      `SELECT kb.id, kb.embedding_dimension AS dims FROM knowledge_bases kb
        WHERE kb.deleted_at IS NULL AND NOT EXISTS (
          SELECT 1 FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid
           WHERE c.relname = '${VECTOR_INDEX_PREFIX}' || replace(kb.id::text, '-', '')
             AND c.relnamespace = current_schema()::regnamespace AND i.indisvalid)`,
    );
  }

  private async vectorIndexState(
    name: string,
    query: (sql: string, params?: unknown[]) => Promise<Array<{ valid: boolean }>> = (sql, params) =>
      this.db.query(sql, params),
  ): Promise<'missing' | 'valid' | 'invalid'> {
    const [row] = await query(
      `SELECT i.indisvalid AND i.indisready AS valid FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid
        WHERE c.relname = $1 AND c.relnamespace = current_schema()::regnamespace`,
      [name],
    );
    if (!row) return 'missing';
    return row.valid ? 'valid' : 'invalid';
  }

  /** A user's edit of one chunk; new content comes with its new embedding and keyword vector. */
  async updateChunk(
    chunkId: string,
    change: { enabled?: boolean; content?: string; title?: string; tokenCount?: number; embedding?: number[] },
  ): Promise<void> {
    const sets: string[] = ['updated_at = now()'];
    const params: unknown[] = [chunkId];
    const param = (value: unknown): string => {
      params.push(value);
      return `$${params.length}`;
    };
    if (change.enabled !== undefined) sets.push(`enabled = ${param(change.enabled)}`);
    if (change.content !== undefined && change.embedding) {
      const content = param(change.content);
      sets.push(`content = ${content}`);
      sets.push(`token_count = ${param(change.tokenCount ?? 0)}`);
      sets.push(`embedding = ${param(toVectorLiteral(change.embedding))}::halfvec`);
      sets.push(`embedding_dims = ${param(change.embedding.length)}`);
      const segmented = param(keywordText(change.title ?? '', change.content));
      const title = param(change.title ?? '');
      sets.push(`search_vector = ${keywordVectorSql(segmented, `${title}::text`, `${content}::text`)}`);
    }
    // The document's row first, as the statistics trigger would take it: a live-run swap of the document
    // then waits for this edit (or this edit for it) instead of deadlocking on the chunk's row.
    await this.db.transaction(async (tx) => {
      await tx.query(`SELECT 1 FROM documents WHERE id = (SELECT document_id FROM chunks WHERE id = $1) FOR SHARE`, [
        chunkId,
      ]);
      await tx.query(`UPDATE chunks SET ${sets.join(', ')} WHERE id = $1`, params);
    });
  }
}
