import type { ChunkLocation } from '../documents/chunk-location';

export const SEARCH_MODES = ['hybrid', 'vector', 'keyword'] as const;
export type SearchMode = (typeof SEARCH_MODES)[number];

export const DEFAULT_SEARCH_MODE: SearchMode = 'hybrid';
export const DEFAULT_TOP_K = 5;
export const MAX_TOP_K = 50;
/**
 * Minimum cosine similarity of a passage to the question (vector and hybrid modes). Passages the keyword
 * leg found count in hybrid mode whatever their similarity: they share the question's words. Scales differ
 * between embedding models; 0.3 keeps only clearly unrelated passages out with bge-m3 (settings.minScore).
 */
export const DEFAULT_MIN_SCORE = 0.3;
/**
 * How hybrid mode fuses its legs. By default (`combine: 'scores'`) a convex combination of the legs' own
 * scores, each passage scored by both legs; weighted Reciprocal Rank Fusion (`'ranks'`, Σ weight / (rrfK +
 * rank), Cormack et al.'s k = 60) stays for comparison. The weights are per knowledge base
 * (settings.vectorWeight, settings.keywordWeight); with agreementDepth > 0, passages both legs rank within
 * that depth come first.
 */
export interface FusionWeights {
  vectorWeight: number;
  keywordWeight: number;
  rrfK: number;
  agreementDepth: number;
  /**
   * Rank fusion only. Score-aware: each leg's weight is scaled, per query, by how well its best passage matches — the cosine
   * similarity of the vector leg's best, the share of the query's BM25 weight (Σ idf) the keyword leg's
   * best covers — so a leg that found nothing convincing cannot outvote one that did.
   */
  scoreAware: boolean;
  /**
   * `ranks`: weighted RRF over the legs' ranks. The others combine the legs' own scores, each computed for
   * every candidate either leg brought (Bruch et al., "An Analysis of Fusion Functions for Hybrid
   * Retrieval", 2023), as Σ weight × normalised score; a leg whose scores barely differ (an embedding that
   * cannot tell the passages apart) then moves the order little, where RRF gives its arbitrary ranks full votes.
   * They differ in how each leg's score is put on [0, 1], per query, from that leg's own candidates:
   * - `scores`: cosine similarity as it is, BM25 over the best BM25;
   * - `max`: each leg over its best (cosine over the best cosine, BM25 over the best BM25);
   * - `minmax`: each leg from its worst to its best candidate (Weaviate's relativeScoreFusion);
   * - `tmm`: each leg from the least score it can give (cosine −1, BM25 0) to its best candidate
   *   (theoretical min-max, Bruch et al.);
   * - `l2`: each leg over the Euclidean norm of its candidates' scores (OpenSearch's l2 normalisation);
   * - `dbsf`: each leg from mean − 3σ to mean + 3σ of its candidates' scores, clamped (distribution-based
   *   score fusion, Qdrant's DBSF).
   */
  combine: FusionCombination;
}
export const FUSION_COMBINATIONS = ['ranks', 'scores', 'max', 'minmax', 'tmm', 'l2', 'dbsf'] as const;
export type FusionCombination = (typeof FUSION_COMBINATIONS)[number];
/**
 * Chosen by bench:quality on the old and dev sets, with the weights left at 1 (not tuned): score combination
 * was the only fusion at or above keyword BM25 overall (MRR 0.70 / 0.73 against 0.70 / 0.71), where RRF
 * variants lost 0.04–0.14; the agreement tier cost score combination 0.02–0.03 MRR, so it is off.
 *
 * Issue #12 asked for a fusion never below the better of its legs on any kind (hit@5 and MRR@10, old and
 * dev sets) and not below it on the held-out set overall. Measured with the fake Ollama's hashed embeddings
 * (hit@5 / MRR@10), none of the normalised fusions without fitted constants (`max`, `minmax`, `tmm`, `l2`,
 * `dbsf`) nor RRF meets that bar, and neither does this one, which stays the default because it comes
 * closest: short of keyword by one question on old paraphrase (hit@5 0.64 against 0.71), dev identifier
 * (0.85 against 0.88), dev paraphrase by MRR (0.48 against 0.51) and holdout overall (0.82 against 0.84);
 * `tmm` ties it within 0.005 everywhere; `max`, `minmax`, `l2` and `dbsf`, which stretch the vector leg's
 * barely differing cosines over [0, 1], lose 0.06–0.10 MRR on dev, and RRF 0.13.
 */
export const DEFAULT_FUSION: FusionWeights = {
  vectorWeight: 1,
  keywordWeight: 1,
  rrfK: 60,
  agreementDepth: 0,
  scoreAware: true,
  combine: 'scores',
};
export const MAX_FUSION_WEIGHT = 10;
/** Longest query or question accepted, in characters. */
export const MAX_QUERY_CHARS = 4000;

/** One passage found by a search, with both legs' scores (null where that leg did not run). */
export interface SearchHit {
  chunkId: string;
  documentId: string;
  documentName: string;
  title: string;
  content: string;
  pageFrom: number | null;
  pageTo: number | null;
  /** Slides, chapters or a sheet's rows, for formats without PDF pages. */
  location?: ChunkLocation | null;
  /** The mode's own score: cosine similarity (vector), BM25 (keyword), the fused score (hybrid). */
  score: number;
  /** Cosine similarity to the query embedding. */
  vectorScore: number | null;
  /** BM25 of the query's lexemes in this passage (per-knowledge-base statistics); 0 when none matched. */
  keywordScore: number | null;
  /** 1-based rank in each leg's candidate list; null when the passage was not among that leg's candidates. */
  vectorRank: number | null;
  keywordRank: number | null;
}

export interface SearchTimings {
  embedMs: number;
  searchMs: number;
}

/** A leg's candidate, for the trace. */
export interface LegCandidate {
  chunkId: string;
  rank: number;
  score: number;
}

/** Everything a search decided, for the answer trace. */
export interface SearchTrace {
  mode: SearchMode;
  query: string;
  /** The query as the keyword leg saw it (jieba-segmented, lower-cased). */
  keywordQuery: string;
  /** The query's lexemes (words as the text configuration makes them, identifiers as written) and their
   *  document frequency and BM25 idf in this knowledge base. */
  keywordLexemes: Array<{ lexeme: string; docFreq: number; idf: number }>;
  /** Searchable chunks and their average length, as BM25 saw them. */
  keywordStatistics: { chunkCount: number; averageLength: number };
  /** Hybrid fusion as applied. */
  fusion: FusionWeights | null;
  /** What a keyword candidate had to hold one of (in a large knowledge base, not the commonest terms alone). */
  keywordCandidates: string[];
  topK: number;
  minScore: number;
  candidatesPerLeg: number;
  vectorLeg: LegCandidate[];
  keywordLeg: LegCandidate[];
  /** Fused order before minScore and topK: chunk ids with their weighted RRF (hybrid) or leg score, and
   *  each leg's rank and score (cosine, BM25; null where that leg did not find the passage). */
  fused: {
    chunkId: string;
    score: number;
    passed: boolean;
    vectorRank: number | null;
    vectorScore: number | null;
    keywordRank: number | null;
    keywordScore: number | null;
  }[];
}

export interface SearchOutcome {
  results: SearchHit[];
  timings: SearchTimings;
  trace: SearchTrace;
}

export interface SearchOptions {
  mode?: SearchMode;
  /** bench:quality compares BM25 with the ts_rank_cd of earlier versions, and fusions. */
  keywordRanking?: 'bm25' | 'ts_rank_cd';
  fusion?: FusionWeights;
  topK?: number;
  minScore?: number;
  signal?: AbortSignal;
}
