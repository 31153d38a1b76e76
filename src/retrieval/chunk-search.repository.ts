import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { escapeLiteral, type Pool, type QueryResult } from 'pg';
import { DataSource } from 'typeorm';
import { KEYWORD_TS_CONFIG } from '../common/text/keyword-segmenter';
import type { ChunkLocation } from '../documents/chunk-location';
import { bm25Idf, BM25_B, BM25_K1, type KeywordQuery } from './keyword-terms';
import {
  DEFAULT_FUSION,
  FUSION_COMBINATIONS,
  type FusionCombination,
  type FusionWeights,
  SearchMode,
} from './retrieval.types';
import { isUuid } from '../common/validation/uuid';
import { MAX_EMBEDDING_DIMENSION } from '../database/vector-limits';
import { HNSW_EF_CONSTRUCTION, vectorIndexName } from '../documents/chunk.repository';

const SEARCH_WIDTH_TTL_MS = 30_000;
const MAX_REMEMBERED_KNOWLEDGE_BASES = 10_000;
/** Most keyword matches ranked per search (see keywordCandidateClauses for how matches are kept few). */
export const MAX_RANKED_MATCHES = 2500;

export interface ChunkSearchQuery {
  knowledgeBaseId: string;
  mode: SearchMode;
  /** The knowledge base's embedding dimension: selects the partial HNSW index `embedding_dims = N`. */
  dimension: number;
  /** Unit-length query embedding (vector and hybrid modes). */
  embedding?: number[];
  /** The query's lexemes with their statistics in this knowledge base (analyzeKeywordQuery). */
  keywords: KeywordQuery;
  /**
   * Which chunks the keyword leg ranks: chunks holding every lexeme of at least one clause (see
   * keywordCandidateClauses). By default any lexeme of the query. Candidates are ranked by all of them.
   */
  candidateClauses?: string[][];
  /** BM25 (default), or the ts_rank_cd of earlier versions (bench:quality compares them). */
  keywordRanking?: KeywordRanking;
  /** Weighted RRF (hybrid mode). */
  fusion?: FusionWeights;
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
  /** The fused score in hybrid mode (see FusionWeights.combine); the leg's own score otherwise. */
  score: number;
}

export type KeywordRanking = 'bm25' | 'ts_rank_cd';

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
  private readonly searchWidths = new Map<string, { readAt: number; value: number }>();

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async search(query: ChunkSearchQuery): Promise<ChunkCandidate[]> {
    const efSearch = query.efSearch ?? (await this.vectorSearchWidth(query.knowledgeBaseId));
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
   * The lexemes of a query and, for this knowledge base, how many searchable chunks hold each, how many
   * there are and how long they are on average (the statistics the triggers keep exact). `terms` are the
   * query segmented as chunks are; identifiers (`R_PAPERSIZE`, `as.numeric`) come from the raw query, as
   * `keyword_vector` takes them from a chunk's text. One round-trip.
   */
  async analyzeKeywordQuery(knowledgeBaseId: string, rawQuery: string, terms: string[]): Promise<KeywordQuery> {
    const rows: Array<{ lexeme: string; doc_freq: number; chunks: string | null; total_length: string | null }> =
      await this.dataSource.query(
        `WITH lexemes AS (
           SELECT DISTINCT lexeme FROM (
             SELECT l.lexeme FROM unnest($2::text[]) AS t(term)
               CROSS JOIN LATERAL unnest(tsvector_to_array(to_tsvector('${KEYWORD_TS_CONFIG}', t.term))) AS l(lexeme)
             UNION ALL SELECT i FROM unnest(keyword_identifiers($3)) AS i) all_lexemes)
         SELECT l.lexeme, coalesce(s.doc_freq, 0)::int AS doc_freq, k.chunk_count AS chunks, k.total_length
           FROM (SELECT 1) one
           LEFT JOIN keyword_kb_stats k ON k.knowledge_base_id = $1
           LEFT JOIN lexemes l ON true
           LEFT JOIN keyword_lexeme_stats s ON s.knowledge_base_id = $1 AND s.lexeme = l.lexeme
          ORDER BY l.lexeme`,
        [knowledgeBaseId, terms, rawQuery],
      );
    const chunks = Number(rows[0]?.chunks ?? 0);
    const totalLength = Number(rows[0]?.total_length ?? 0);
    return {
      lexemes: rows.filter((r) => r.lexeme !== null).map((r) => ({ lexeme: r.lexeme, docFreq: r.doc_freq })),
      chunkCount: chunks,
      averageLength: chunks > 0 ? totalLength / chunks : 1,
    };
  }

  /**
   * hnsw.ef_search for a knowledge base: by its size (its searchable documents' chunk counts) and by how its
   * HNSW graph was built (indexes built before HNSW_EF_CONSTRUCTION was raised need a wider search for the
   * same recall); remembered for a while.
   */
  async vectorSearchWidth(knowledgeBaseId: string): Promise<number> {
    const known = this.searchWidths.get(knowledgeBaseId);
    if (known && Date.now() - known.readAt < SEARCH_WIDTH_TTL_MS) return known.value;
    const [{ chunks, ef_construction: efConstruction }]: Array<{ chunks: number; ef_construction: number | null }> =
      await this.dataSource.query(
        `SELECT (SELECT coalesce(sum(chunk_count), 0)::int FROM documents
                  WHERE knowledge_base_id = $1 AND live_run IS NOT NULL) AS chunks,
                (SELECT o.option_value::int FROM pg_class c CROSS JOIN LATERAL pg_options_to_table(c.reloptions) o
                  WHERE c.relname = $2 AND o.option_name = 'ef_construction') AS ef_construction`,
        [knowledgeBaseId, vectorIndexName(knowledgeBaseId)],
      );
    const value = efSearchFor(chunks, efConstruction ?? HNSW_EF_CONSTRUCTION);
    if (this.searchWidths.size > MAX_REMEMBERED_KNOWLEDGE_BASES) this.searchWidths.clear();
    this.searchWidths.set(knowledgeBaseId, { readAt: Date.now(), value });
    return value;
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

/** A lexeme quoted for tsquery or tsvector input (no normalisation: it is already a lexeme). */
function quotedLexeme(lexeme: string): string {
  return `'${lexeme.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/** A tsquery of clauses OR-ed, each an AND of lexemes; NULL (matches nothing) when there is none. */
function lexemeQuery(clauses: string[][]): string {
  const parts = [
    ...new Set(
      clauses
        .map((clause) => clause.filter(Boolean))
        .filter((clause) => clause.length)
        .map((clause) => (clause.length === 1 ? quotedLexeme(clause[0]) : `(${clause.map(quotedLexeme).join(' & ')})`)),
    ),
  ];
  return parts.length ? `${escapeLiteral(parts.join(' | '))}::tsquery` : 'NULL::tsquery';
}

/**
 * How wide the HNSW search of a knowledge base of `chunks` looks, its graph built with `efConstruction`.
 * Measured on clustered 1024-d data (bench:search prints the sweep): 100 gives recall@10 0.99 at 100,000
 * chunks; at 1,000,000, a graph built with 128 gives 0.95 at 100 and 0.99 at 200, one built with 64 only
 * 0.88 at 200 and 0.94 at 400. Wider costs more time, so only large knowledge bases get it.
 */
export function efSearchFor(chunks: number, efConstruction = HNSW_EF_CONSTRUCTION): number {
  if (chunks <= 300_000) return 100;
  return efConstruction >= 128 ? 200 : 400;
}

/** Builds `SET LOCAL …; WITH … SELECT …` for one search. Exported for the unit test of its safety. */
export function buildSearchSql(q: ChunkSearchQuery): string {
  if (!isUuid(q.knowledgeBaseId)) throw new Error(`not a UUID: ${q.knowledgeBaseId}`);
  if (!Number.isInteger(q.dimension) || q.dimension < 1 || q.dimension > MAX_EMBEDDING_DIMENSION) {
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

  // Lexemes are quoted and OR-ed, so no operator or quote in the user's text can change the query's
  // shape. Being a constant, the query is folded at plan time: the planner sees how selective it is.
  const lexemes = q.keywords.lexemes.map((l) => l.lexeme);
  const anyLexeme = lexemeQuery(lexemes.map((lexeme) => [lexeme]));
  const matchQuery = q.candidateClauses ? lexemeQuery(q.candidateClauses) : anyLexeme;
  const ranking = q.keywordRanking ?? 'bm25';
  const keywordScoreOf = (alias: string): string =>
    ranking === 'bm25' ? bm25Sql(alias, q.keywords) : `ts_rank_cd(${alias}.search_vector, ${anyLexeme}, 32)`;
  const fusion = q.fusion ?? DEFAULT_FUSION;
  for (const value of [fusion.vectorWeight, fusion.keywordWeight, fusion.rrfK, fusion.agreementDepth]) {
    if (!Number.isFinite(value) || value < 0) throw new Error(`bad fusion setting ${value}`);
  }
  if (!FUSION_COMBINATIONS.includes(fusion.combine)) throw new Error(`unknown fusion ${String(fusion.combine)}`);

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
        SELECT id, ${keywordScoreOf('matches')} AS rank_score
        FROM (
          SELECT c.id, c.search_vector, c.keyword_length
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
    // Both legs' candidates with their ranks in either leg. With agreementDepth > 0, a passage both legs rank
    // within that depth comes before any passage only one leg found there (the ORDER BY below).
    const depth = Math.floor(fusion.agreementDepth);
    const legColumns = `coalesce(v.id, k.id) AS id, v.rank AS vector_rank, k.rank AS keyword_rank, v.distance, k.rank_score,
                   (v.rank <= ${depth} AND k.rank <= ${depth}) IS TRUE AS agreed`;
    const legsJoined = 'vector_leg v FULL OUTER JOIN keyword_leg k ON k.id = v.id';
    // Every candidate either leg brought is scored by both legs (the leg that did not bring it scores it here).
    const bothScored = `SELECT b.id, b.vector_rank, b.keyword_rank, b.agreed,
                 coalesce(b.distance, ${distance}) AS distance,
                 coalesce(b.rank_score, ${keywordScoreOf('c')}) AS rank_score
          FROM (SELECT ${legColumns} FROM ${legsJoined}) b JOIN chunks c ON c.id = b.id`;
    if (fusion.combine === 'scores') {
      // On one scale: cosine similarity, and BM25 over the best BM25 among the keyword leg's candidates.
      ctes.push(`fused AS (
        SELECT x.*,
               ${fusion.vectorWeight}::float8 * greatest(0, 1 - x.distance)
                 + ${fusion.keywordWeight}::float8 * coalesce(x.rank_score, 0)
                   / greatest((SELECT max(rank_score) FROM keyword_leg), 1e-9) AS score
        FROM (
          ${bothScored}
        ) x
      )`);
    } else if (fusion.combine !== 'ranks') {
      // Each leg's score mapped onto [0, 1] by bounds taken from that leg's own candidates (the query's), then
      // weighted and summed; a passage below its leg's lower bound (one the leg did not bring) counts 0 there.
      const { low, high } = NORMALISATION_BOUNDS[fusion.combine];
      ctes.push(`leg_bounds AS MATERIALIZED (
        SELECT v.low AS v_low, v.high AS v_high, k.low AS k_low, k.high AS k_high
        FROM (SELECT ${low('1 - distance', 'vector')} AS low, ${high('1 - distance')} AS high FROM vector_leg) v,
             (SELECT ${low('rank_score', 'keyword')} AS low, ${high('rank_score')} AS high FROM keyword_leg) k
      )`);
      ctes.push(`fused AS (
        SELECT x.*,
               ${fusion.vectorWeight}::float8 * ${normalised('1 - x.distance', 'n.v_low', 'n.v_high')}
                 + ${fusion.keywordWeight}::float8 * ${normalised('coalesce(x.rank_score, 0)', 'n.k_low', 'n.k_high')}
                 AS score
        FROM (
          ${bothScored}
        ) x CROSS JOIN leg_bounds n
      )`);
    } else {
      // Weighted RRF; score-aware, each leg's weight is scaled by how well its best passage matches.
      let vectorWeight = `${fusion.vectorWeight}::float8`;
      let keywordWeight = `${fusion.keywordWeight}::float8`;
      if (fusion.scoreAware) {
        vectorWeight += ` * greatest(0, (SELECT 1 - min(distance) FROM vector_leg))`;
        const idfSum = q.keywords.lexemes.reduce((sum, l) => sum + bm25Idf(l.docFreq, q.keywords.chunkCount), 0);
        if (ranking === 'bm25' && idfSum > 0)
          keywordWeight += ` * least(1, (SELECT max(rank_score) FROM keyword_leg) / ${idfSum}::float8)`;
      }
      ctes.push(`fused AS (
        SELECT ${legColumns},
               coalesce(${vectorWeight} / (${fusion.rrfK} + v.rank), 0)
                 + coalesce(${keywordWeight} / (${fusion.rrfK} + k.rank), 0) AS score
        FROM ${legsJoined}
      )`);
    }
  } else if (useVector) {
    ctes.push(`fused AS (
      SELECT id, rank AS vector_rank, NULL::bigint AS keyword_rank, distance, NULL::float8 AS rank_score, false AS agreed,
             1 - distance AS score
      FROM vector_leg
    )`);
  } else {
    ctes.push(`fused AS (
      SELECT id, NULL::bigint AS vector_rank, rank AS keyword_rank, NULL::float8 AS distance, rank_score, false AS agreed,
             rank_score AS score
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
           coalesce(f.rank_score, ${keywordScoreOf('c')}, 0)::float8 AS keyword_score,
           f.score::float8 AS score, f.agreed
    FROM fused f
    JOIN chunks c ON c.id = f.id
    JOIN documents d ON d.id = c.document_id
    ORDER BY f.agreed DESC, f.score DESC, c.id`;
}

/**
 * Per-query bounds of a leg's scores, over that leg's own candidates, for the normalising fusions:
 * `max`, [0, best] (each leg over its best); `minmax`, [worst, best] (Weaviate's relativeScoreFusion);
 * `tmm`, [the least score possible, best]: −1 for cosine, 0 for BM25 (Bruch et al.'s theoretical min-max);
 * `l2`, [0, the Euclidean norm of the leg's scores] (OpenSearch's l2 normalisation); `dbsf`, mean ± 3
 * population standard deviations (distribution-based score fusion, as in Qdrant). None has a constant
 * fitted to a question set.
 */
const NORMALISATION_BOUNDS: Record<
  Exclude<FusionCombination, 'ranks' | 'scores'>,
  { low: (score: string, leg: 'vector' | 'keyword') => string; high: (score: string) => string }
> = {
  max: { low: () => '0::float8', high: (s) => `max(${s})` },
  minmax: { low: (s) => `min(${s})`, high: (s) => `max(${s})` },
  tmm: { low: (_s, leg) => (leg === 'vector' ? '-1::float8' : '0::float8'), high: (s) => `max(${s})` },
  l2: { low: () => '0::float8', high: (s) => `sqrt(sum((${s}) * (${s})))` },
  dbsf: { low: (s) => `avg(${s}) - 3 * stddev_pop(${s})`, high: (s) => `avg(${s}) + 3 * stddev_pop(${s})` },
};

/**
 * `score` mapped from [low, high] onto [0, 1], clamped. When the bounds meet (one candidate, or all scoring
 * alike) a passage at the bound counts 1 and any other 0; a leg without candidates (NULL bounds) counts 0.
 */
function normalised(score: string, low: string, high: string): string {
  return `(CASE WHEN ${high} - ${low} > 1e-12 THEN least(1, greatest(0, ((${score}) - ${low}) / (${high} - ${low})))
                WHEN ${score} >= ${high} THEN 1 ELSE 0 END)`;
}

/**
 * BM25 of the chunk `alias` for the query's lexemes (Robertson–Spärck Jones idf as in Lucene, k1 = 1.2,
 * b = 0.75): term frequencies are the positions of each query lexeme, read from the chunk's tsvector after
 * keeping only the query's lexemes (setweight marks them, ts_filter keeps them: no unnest of the whole
 * vector); the length is `keyword_length`. idf and the average length are constants of the statement.
 */
function bm25Sql(alias: string, keywords: KeywordQuery): string {
  const terms = keywords.lexemes.filter((l) => l.lexeme);
  if (!terms.length) return '0::float8';
  const list = `ARRAY[${terms.map((t) => escapeLiteral(t.lexeme)).join(',')}]::text[]`;
  const idf = terms
    .map((t) => `(${escapeLiteral(t.lexeme)}, ${bm25Idf(t.docFreq, keywords.chunkCount)}::float8)`)
    .join(', ');
  const averageLength = Math.max(1, keywords.averageLength);
  const norm = `${BM25_K1} * (${1 - BM25_B} + ${BM25_B} * ${alias}.keyword_length / ${averageLength}::float8)`;
  return `(SELECT coalesce(sum(q.idf * (x.tf * ${BM25_K1 + 1}) / (x.tf + ${norm})), 0)
            FROM (SELECT u.lexeme, coalesce(array_length(u.positions, 1), 1)::float8 AS tf
                    FROM unnest(ts_filter(setweight(${alias}.search_vector, 'A', ${list}), '{a}')) AS u) x
            JOIN (VALUES ${idf}) AS q(lexeme, idf) ON q.lexeme = x.lexeme)`;
}
