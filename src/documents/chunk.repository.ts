import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { KEYWORD_TS_CONFIG, segmentForKeywords } from '../common/text/keyword-segmenter';

/** A chunk ready to be written: its text, where it came from, and its embedding. */
export interface ChunkWrite {
  ordinal: number;
  title: string;
  content: string;
  pageFrom: number | null;
  pageTo: number | null;
  tokenCount: number;
  embedding: number[];
}

export interface ReadyResult {
  /** False when the document was deleted (or reindexed) meanwhile: nothing was changed. */
  updated: boolean;
  /** Older versions of the same file that this one replaced (their rows are gone; delete their files). */
  replaced: Array<{ id: string; storageKey: string }>;
}

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
 * that dimension applies; the tsvector of the segmented text, for the GIN index), and the version
 * swap that makes a document ready. Reads for search live in src/retrieval/chunk-search.repository.ts.
 */
@Injectable()
export class ChunkRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Writes a batch of chunks in one statement (unnest of arrays: one round-trip, one plan).
   * An ordinal already present is left alone, so a retried batch never duplicates anything.
   */
  async insertChunks(documentId: string, knowledgeBaseId: string, dims: number, chunks: ChunkWrite[]): Promise<void> {
    if (!chunks.length) return;
    await this.db.query(
      `INSERT INTO chunks (document_id, knowledge_base_id, ordinal, title, content, page_from, page_to, token_count,
                           embedding_dims, embedding, search_vector)
       SELECT $1, $2, t.ordinal, t.title, t.content, t.page_from, t.page_to, t.token_count,
              $3, t.embedding::halfvec, to_tsvector('${KEYWORD_TS_CONFIG}', t.keywords)
         FROM unnest($4::int[], $5::text[], $6::text[], $7::int[], $8::int[], $9::int[], $10::text[], $11::text[])
              AS t(ordinal, title, content, page_from, page_to, token_count, embedding, keywords)
       ON CONFLICT (document_id, ordinal) DO NOTHING`,
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
        chunks.map((c) => keywordText(c.title, c.content)),
      ],
    );
  }

  /** Ordinal → md5 of title and content of the chunks a document already has (to resume an interrupted run). */
  async storedChunkDigests(documentId: string): Promise<Map<number, string>> {
    const rows: Array<{ ordinal: number; digest: string }> = await this.db.query(
      `SELECT ordinal, md5(title || E'\\x1f' || content) AS digest FROM chunks WHERE document_id = $1 AND embedding IS NOT NULL`,
      [documentId],
    );
    return new Map(rows.map((r) => [r.ordinal, r.digest]));
  }

  async deleteDocumentChunks(documentId: string): Promise<void> {
    await this.db.query(`DELETE FROM chunks WHERE document_id = $1`, [documentId]);
  }

  async deleteChunksByOrdinal(documentId: string, ordinals: number[]): Promise<void> {
    if (!ordinals.length) return;
    await this.db.query(`DELETE FROM chunks WHERE document_id = $1 AND ordinal = ANY($2::int[])`, [
      documentId,
      ordinals,
    ]);
  }

  /**
   * In one transaction: marks this version ready with its counts, and removes older versions of the same
   * file in its knowledge base (their chunks go with them), so searches switch from old to new at once.
   */
  async markReady(
    documentId: string,
    run: number,
    counts: { chunkCount: number; pageCount: number | null },
  ): Promise<ReadyResult> {
    return this.db.transaction(async (tx) => {
      const [doc]: Array<{ knowledge_base_id: string; filename: string; version: number }> = await tx.query(
        `SELECT knowledge_base_id, filename, version FROM documents WHERE id = $1 AND ingest_run = $2 FOR UPDATE`,
        [documentId, run],
      );
      if (!doc) return { updated: false, replaced: [] };
      await tx.query(
        `UPDATE documents SET status = 'ready', progress = 100, status_detail = NULL, error_code = NULL, error_message = NULL,
                chunk_count = $2, page_count = $3, updated_at = now()
          WHERE id = $1`,
        [documentId, counts.chunkCount, counts.pageCount],
      );
      // TypeORM answers DELETE … RETURNING with [rows, count].
      const [replaced]: [Array<{ id: string; storage_key: string }>, number] = await tx.query(
        `DELETE FROM documents
          WHERE knowledge_base_id = $1 AND filename = $2 AND id <> $3 AND version < $4
          RETURNING id, storage_key`,
        [doc.knowledge_base_id, doc.filename, documentId, doc.version],
      );
      return { updated: true, replaced: replaced.map((r) => ({ id: r.id, storageKey: r.storage_key })) };
    });
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
      sets.push(`content = ${param(change.content)}`);
      sets.push(`token_count = ${param(change.tokenCount ?? 0)}`);
      sets.push(`embedding = ${param(toVectorLiteral(change.embedding))}::halfvec`);
      sets.push(`embedding_dims = ${param(change.embedding.length)}`);
      sets.push(
        `search_vector = to_tsvector('${KEYWORD_TS_CONFIG}', ${param(keywordText(change.title ?? '', change.content))})`,
      );
    }
    await this.db.query(`UPDATE chunks SET ${sets.join(', ')} WHERE id = $1`, params);
  }
}
