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
/** Reciprocal Rank Fusion constant (Cormack et al.): score = Σ 1 / (k + rank). */
export const RRF_K = 60;
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
  /** The mode's own score: cosine similarity (vector), ts_rank_cd (keyword), RRF (hybrid). */
  score: number;
  /** Cosine similarity to the query embedding. */
  vectorScore: number | null;
  /** ts_rank_cd of the segmented query, normalised to 0..1 (rank / (rank + 1)); 0 when no word matched. */
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
  /** What a keyword candidate had to hold one of (in a large knowledge base, not the commonest terms alone). */
  keywordCandidates: string[];
  topK: number;
  minScore: number;
  candidatesPerLeg: number;
  vectorLeg: LegCandidate[];
  keywordLeg: LegCandidate[];
  /** Fused order before minScore and topK: chunk ids with their RRF (hybrid) or leg score. */
  fused: { chunkId: string; score: number; passed: boolean }[];
}

export interface SearchOutcome {
  results: SearchHit[];
  timings: SearchTimings;
  trace: SearchTrace;
}

export interface SearchOptions {
  mode?: SearchMode;
  topK?: number;
  minScore?: number;
  signal?: AbortSignal;
}
