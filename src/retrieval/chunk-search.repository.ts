import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { escapeLiteral, type Pool, type QueryResult } from 'pg';
import { DataSource } from 'typeorm';
import { KEYWORD_TS_CONFIG } from '../common/text/keyword-segmenter';
import type { ChunkLocation } from '../documents/chunk-location';
import type { LexemeStatistics } from './keyword-terms';
import { RRF_K, SearchMode } from './retrieval.types';
import { isUuid } from '../common/validation/uuid';

/** Largest dimension the HNSW indexes (halfvec) accept; also the largest query vector we inline. */
const MAX_INDEXED_DIMENSION = 4000;
const LEXEME_STATISTICS_TTL_MS = 5 * 60_000;
const CHUNK_COUNT_TTL_MS = 30_000;
const MAX_REMEMBERED_KNOWLEDGE_BASES = 10_000;
const MAX_REMEMBERED_TERMS = 100_000;
/** Most keyword matches ranked per search (see keywordCandidateClauses for how matches are kept few). */
export const MAX_RANKED_MATCHES = 2500;

export interface ChunkSearchQuery {
  knowledgeBaseId: string;
  mode: SearchMode;
  /** The knowledge base's embedding dimension: selects the partial HNSW index `embedding_dims = N`. */
  dimension: number;
  /** Unit-length query embedding (vector and hybrid modes). */
  embedding?: number[];
  /** The query segmented with segmentForKeywords (as the chunks were). */
  keywordText: string;
  /**
   * Which chunks the keyword leg ranks, and by which terms: chunks holding every term of at least one
   * clause, ranked by the clauses' terms (see keywordCandidateClauses). By default every term of keywordText.
   */
  candidateClauses?: string[][];
  /** How many candidates each leg contributes. */
  candidates: number;
  /** hnsw.ef_search; at least `candidates` (pgvector returns at most ef_search rows from an index scan). */
  efSearch?: number;
}

/** One fused candidate, best first. Scores of a leg that did not run are null. */
export interface ChunkCandidate {
  chunkId: string;
  documentId: string;
  documentName: string;
  title: string;
  content: string;
  pageFrom: number | null;
  pageTo: number | null;
  location: ChunkLocation | null;
  vectorRank: number | null;
  keywordRank: number | null;
  vectorScore: number | null;
  keywordScore: number | null;
  /** RRF score in hybrid mode; the leg's own score otherwise. */
  score: number;
}

interface CandidateRow {
  chunk_id: string;
  document_id: string;
  document_name: string;
  title: string;
  content: string;
  page_from: number | null;
  page_to: number | null;
  location: ChunkLocation | null;
  vector_rank: string | null;
  keyword_rank: string | null;
  vector_score: number | null;
  keyword_score: number | null;
  score: number;
}

/**
 * Search SQL over chunks: the vector leg walks the partial HNSW expression index of the knowledge base's
 * dimension (cosine), the keyword leg the GIN index over `search_vector` (ranked with ts_rank_cd), and
 * hybrid fuses both candidate lists with Reciprocal Rank Fusion — all in one statement.
 *
 * The statement is sent with `SET LOCAL hnsw.*` in one simple-protocol round-trip (an implicit
 * transaction), so the values are inlined as literals: ids are checked to be UUIDs, numbers to be finite,
 * and text goes through pg's escapeLiteral. Only enabled chunks of `ready` documents are searched: a new
 * document version stays invisible until it replaces the old one.
 */
@Injectable()
export class ChunkSearchRepository {
  private statistics?: { readAt: number; value: LexemeStatistics };
  private readonly lexemes = new Map<string, string[]>();
  private readonly chunkCounts = new Map<string, { readAt: number; value: number }>();

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async search(query: ChunkSearchQuery): Promise<ChunkCandidate[]> {
    const efSearch = query.efSearch ?? efSearchFor(await this.knowledgeBaseChunkCount(query.knowledgeBaseId));
    const result = (await this.pool().query(
      buildSearchSql({ ...query, efSearch }),
    )) as unknown as QueryResult<CandidateRow>[];
    const rows = result[result.length - 1].rows;
    return rows.map((row) => ({
      chunkId: row.chunk_id,
      documentId: row.document_id,
      documentName: row.document_name,
      title: row.title,
      content: row.content,
      pageFrom: row.page_from,
      pageTo: row.page_to,
      location: row.location ?? null,
      vectorRank: row.vector_rank === null ? null : Number(row.vector_rank),
      keywordRank: row.keyword_rank === null ? null : Number(row.keyword_rank),
      vectorScore: row.vector_score,
      keywordScore: row.keyword_score,
      score: row.score,
    }));
  }

  /**
   * The share of chunks holding each of the commonest lexemes and the table's size, from PostgreSQL's
   * statistics (kept by ANALYZE / autovacuum; table-wide). Read at most every few minutes.
   */
  async lexemeStatistics(): Promise<LexemeStatistics> {
    if (this.statistics && Date.now() - this.statistics.readAt < LEXEME_STATISTICS_TTL_MS) return this.statistics.value;
    const rows: { lexeme: string; share: number }[] = await this.dataSource.query(
      `SELECT x.lexeme, x.share
         FROM pg_stats s,
              unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs[1:array_length(s.most_common_elems, 1)]) AS x(lexeme, share)
        WHERE s.schemaname = current_schema() AND s.tablename = 'chunks' AND s.attname = 'search_vector'`,
    );
    // most_common_elem_freqs ends with the least and the greatest frequency of the list, then the share of nulls.
    const [{ estimate, least }] = await this.dataSource.query(
      `SELECT greatest(c.reltuples, 0)::float8 AS estimate,
              (SELECT s.most_common_elem_freqs[array_length(s.most_common_elems, 1) + 1] FROM pg_stats s
                WHERE s.schemaname = current_schema() AND s.tablename = 'chunks' AND s.attname = 'search_vector') AS least
         FROM pg_class c WHERE c.oid = 'chunks'::regclass`,
    );
    const value: LexemeStatistics = {
      shares: new Map(rows.map((r) => [r.lexeme, r.share])),
      rows: estimate,
      otherShare: least ? least / 2 : 0,
    };
    this.statistics = { readAt: Date.now(), value };
    return value;
  }

  /**
   * Chunks of a knowledge base's searchable documents (from the documents' counts), remembered for a while:
   * statistics are table-wide, and a small knowledge base must not be searched as if it were the table.
   */
  async knowledgeBaseChunkCount(knowledgeBaseId: string): Promise<number> {
    const known = this.chunkCounts.get(knowledgeBaseId);
    if (known && Date.now() - known.readAt < CHUNK_COUNT_TTL_MS) return known.value;
    const [{ chunks }]: Array<{ chunks: number }> = await this.dataSource.query(
      `SELECT coalesce(sum(chunk_count), 0)::int AS chunks FROM documents WHERE knowledge_base_id = $1 AND live_run IS NOT NULL`,
      [knowledgeBaseId],
    );
    if (this.chunkCounts.size > MAX_REMEMBERED_KNOWLEDGE_BASES) this.chunkCounts.clear();
    this.chunkCounts.set(knowledgeBaseId, { readAt: Date.now(), value: chunks });
    return chunks;
  }

  /**
   * What text search makes of each term (stemmed lexemes; none for a stop word). Remembered, so a term
   * costs a round-trip only the first time this process sees it.
   */
  async lexemesOf(terms: string[]): Promise<ReadonlyMap<string, readonly string[]>> {
    const unknown = [...new Set(terms)].filter((term) => !this.lexemes.has(term));
    if (unknown.length) {
      const rows: { term: string; lexemes: string[] }[] = await this.dataSource.query(
        `SELECT term, tsvector_to_array(to_tsvector('${KEYWORD_TS_CONFIG}', term)) AS lexemes FROM unnest($1::text[]) AS term`,
        [unknown],
      );
      if (this.lexemes.size + rows.length > MAX_REMEMBERED_TERMS) this.lexemes.clear();
      for (const row of rows) this.lexemes.set(row.term, row.lexemes);
    }
    return new Map(terms.map((term) => [term, this.lexemes.get(term) ?? []]));
  }

  /**
   * EXPLAIN of the search statement, optionally under planner settings (`{ enable_seqscan: 'off' }`): on a
   * tiny table reading every row beats any index, so tests switch plans off to show that the indexes match
   * the statement (expression, predicate, operator).
   */
  async explain(query: ChunkSearchQuery, plannerSettings: Record<string, 'on' | 'off'> = {}): Promise<string> {
    const settings = Object.entries(plannerSettings).map(([name, value]) => {
      if (!/^enable_[a-z]+$/.test(name)) throw new Error(`not a planner setting: ${name}`);
      return `SET LOCAL ${name} = ${value === 'on' ? 'on' : 'off'};\n`;
    });
    const sql = settings.join('') + buildSearchSql(query).replace(/WITH /, 'EXPLAIN WITH ');
    const result = (await this.pool().query(sql)) as unknown as QueryResult<{ 'QUERY PLAN': string }>[];
    return result[result.length - 1].rows.map((r) => r['QUERY PLAN']).join('\n');
  }

  private pool(): Pool {
    // TypeORM's query() cannot return the results of a multi-statement string; its pg pool can.
    return (this.dataSource.driver as unknown as { master: Pool }).master;
  }
}

/** `to_tsquery` of clauses OR-ed, each an AND of quoted terms; NULL (matches nothing) when there is no term. */
function textQuery(clauses: string[][]): string {
  const clean = (term: string): string => term.replace(/['\\]/g, '');
  const parts = [
    ...new Set(
      clauses
        .map((clause) => clause.map(clean).filter(Boolean))
        .filter((clause) => clause.length)
        .map((clause) => (clause.length === 1 ? `'${clause[0]}'` : `(${clause.map((t) => `'${t}'`).join(' & ')})`)),
    ),
  ];
  return parts.length ? `to_tsquery('${KEYWORD_TS_CONFIG}', ${escapeLiteral(parts.join(' | '))})` : 'NULL::tsquery';
}

/**
 * How wide the HNSW search of a knowledge base of `chunks` looks. Measured on clustered 1024-d data
 * (bench:search): 100 gives recall@10 of 1.0 at 100,000 chunks, but 0.81 at 1,000,000, where 400 gives
 * 0.96; wider costs more time, so only large knowledge bases get it.
 */
export function efSearchFor(chunks: number): number {
  return chunks > 300_000 ? 400 : 100;
}

/** Builds `SET LOCAL …; WITH … SELECT …` for one search. Exported for the unit test of its safety. */
export function buildSearchSql(q: ChunkSearchQuery): string {
  if (!isUuid(q.knowledgeBaseId)) throw new Error(`not a UUID: ${q.knowledgeBaseId}`);
  if (!Number.isInteger(q.dimension) || q.dimension < 1 || q.dimension > MAX_INDEXED_DIMENSION) {
    throw new Error(`unsupported embedding dimension ${q.dimension}`);
  }
  const candidates = Math.max(1, Math.min(1000, Math.floor(q.candidates)));
  const useVector = q.mode !== 'keyword';
  const useKeyword = q.mode !== 'vector';
  const dims = q.dimension;
  const kb = `'${q.knowledgeBaseId}'::uuid`;
  // A chunk is searchable when it belongs to its document's live run (a reindex writes beside it; a new
  // document has none yet; a ready document has only its live run's chunks). Written as "not hidden by one
  // of the few documents that are not ready" rather than "of a live run": the planner knows from its
  // statistics that those are few (a comparison of two columns it could not estimate), and an anti-join
  // over them cannot become the driving side, so the HNSW and GIN indexes stay in charge.
  const searchable = `c.knowledge_base_id = ${kb} AND c.enabled
        AND NOT EXISTS (SELECT 1 FROM documents d WHERE d.id = c.document_id AND d.status <> 'ready'
                          AND (d.live_run IS NULL OR d.live_run <> c.ingest_run))`;

  let queryVector = 'NULL';
  if (useVector) {
    const embedding = q.embedding ?? [];
    if (embedding.length !== dims)
      throw new Error(`query embedding has ${embedding.length} dimensions, expected ${dims}`);
    if (!embedding.every((x) => Number.isFinite(x))) throw new Error('query embedding has a non-finite value');
    // Written once; the legs read it as an InitPlan parameter, which the HNSW index scan accepts.
    queryVector = '(SELECT v FROM query_vector)';
  }
  const distance = `(c.embedding::halfvec(${dims})) <=> ${queryVector}`;

  // Each term is quoted and the terms are OR-ed, so no operator or quote in the user's text can change the
  // query's shape; to_tsquery then normalises each term as the chunks' to_tsvector did (stemming, stop
  // words). Being a constant, it is folded at plan time: the planner sees how selective it is.
  // Candidates are ranked by the terms that selected them: in a large knowledge base the commonest terms
  // are left out of both (ts_rank_cd walks every position of every query term in a chunk).
  const rankTerms = q.candidateClauses ? q.candidateClauses.flat() : q.keywordText.split(/\s+/);
  const tsquery = textQuery(rankTerms.map((term) => [term]));
  const matchQuery = q.candidateClauses ? textQuery(q.candidateClauses) : tsquery;

  const ctes: string[] = [];
  if (useVector) {
    ctes.push(
      `query_vector AS MATERIALIZED (SELECT '[${(q.embedding as number[]).join(',')}]'::halfvec(${dims}) AS v)`,
    );
    ctes.push(`vector_leg AS (
      SELECT id, distance, row_number() OVER (ORDER BY distance, id) AS rank
      FROM (
        SELECT c.id, ${distance} AS distance
        FROM chunks c
        WHERE c.embedding_dims = ${dims} AND ${searchable}
        ORDER BY ${distance}
        LIMIT ${candidates}
      ) nearest
    )`);
  }
  if (useKeyword) {
    // Ranking reads every match, so a query of only very common words ranks at most MAX_RANKED_MATCHES of
    // them (in table order): such a query says little about which passage is meant, and the vector leg
    // carries hybrid search there.
    ctes.push(`keyword_leg AS (
      SELECT id, rank_score, row_number() OVER (ORDER BY rank_score DESC, id) AS rank
      FROM (
        SELECT id, ts_rank_cd(search_vector, ${tsquery}, 32) AS rank_score
        FROM (
          SELECT c.id, c.search_vector
          FROM chunks c
          WHERE c.search_vector @@ ${matchQuery} AND ${searchable}
          LIMIT ${MAX_RANKED_MATCHES}
        ) matches
        ORDER BY rank_score DESC
        LIMIT ${candidates}
      ) best
    )`);
  }
  // Each leg's own score travels with its candidates; the other leg's score is computed only where missing.
  if (useVector && useKeyword) {
    ctes.push(`fused AS (
      SELECT coalesce(v.id, k.id) AS id, v.rank AS vector_rank, k.rank AS keyword_rank, v.distance, k.rank_score,
             coalesce(1.0 / (${RRF_K} + v.rank), 0) + coalesce(1.0 / (${RRF_K} + k.rank), 0) AS score
      FROM vector_leg v FULL OUTER JOIN keyword_leg k ON k.id = v.id
    )`);
  } else if (useVector) {
    ctes.push(`fused AS (
      SELECT id, rank AS vector_rank, NULL::bigint AS keyword_rank, distance, NULL::real AS rank_score, 1 - distance AS score
      FROM vector_leg
    )`);
  } else {
    ctes.push(`fused AS (
      SELECT id, NULL::bigint AS vector_rank, rank AS keyword_rank, NULL::float8 AS distance, rank_score, rank_score AS score
      FROM keyword_leg
    )`);
  }

  const vectorScore = useVector
    ? `1 - coalesce(f.distance, CASE WHEN c.embedding_dims = ${dims} THEN ${distance} END)`
    : 'NULL';
  // JIT compiling, or starting parallel workers for, a statement this short costs more than running it.
  return `SET LOCAL jit = off;
    SET LOCAL max_parallel_workers_per_gather = 0;
    SET LOCAL hnsw.ef_search = ${Math.max(candidates, Math.min(1000, Math.floor(q.efSearch ?? 100)))};
    SET LOCAL hnsw.iterative_scan = relaxed_order;
    WITH ${ctes.join(',\n    ')}
    SELECT c.id AS chunk_id, c.document_id, d.filename AS document_name, c.title, c.content, c.page_from, c.page_to,
           c.location,
           f.vector_rank, f.keyword_rank,
           (${vectorScore})::float8 AS vector_score,
           coalesce(f.rank_score, ts_rank_cd(c.search_vector, ${tsquery}, 32), 0)::float8 AS keyword_score,
           f.score::float8 AS score
    FROM fused f
    JOIN chunks c ON c.id = f.id
    JOIN documents d ON d.id = c.document_id
    ORDER BY f.score DESC, c.id`;
}
