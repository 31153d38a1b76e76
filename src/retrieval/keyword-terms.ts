/**
 * About how many chunks the keyword leg may rank. Ranking (ts_rank_cd) reads every candidate's row, so
 * a term that most chunks contain ("r", "use", "使用" in a library of R and LaTeX manuals) would make an
 * OR query rank much of the table. Such terms are left out (they say little about which passage is meant)
 * once the rarer terms already bring this many candidates.
 */
export const KEYWORD_CANDIDATE_BUDGET = 500;
/** When even the rarest term is over budget, candidates must hold two of this many rarest terms. */
const PAIRED_TERMS = 4;
/** Beyond the two rarest, terms in more than this share of chunks are not paired. */
const PAIRED_TERM_MAX_SHARE = 0.05;

/** BM25's term-frequency saturation and length normalisation (the usual values; not tuned here). */
export const BM25_K1 = 1.2;
export const BM25_B = 0.75;

/** A query's lexemes with their statistics in one knowledge base (exact: kept by triggers). */
export interface KeywordQuery {
  /** Distinct lexemes: the text configuration's of each word, and the identifiers as written (lower-cased). */
  lexemes: Array<{ lexeme: string; docFreq: number }>;
  /** Searchable chunks of the knowledge base. */
  chunkCount: number;
  /** Their average keyword_length (tokens). */
  averageLength: number;
}

/** BM25's inverse document frequency, never negative (Lucene's form): ln(1 + (N − df + ½) / (df + ½)). */
export function bm25Idf(docFreq: number, chunkCount: number): number {
  const df = Math.min(Math.max(0, docFreq), Math.max(0, chunkCount));
  const idf = Math.log(1 + (chunkCount - df + 0.5) / (df + 0.5));
  return Math.round(idf * 1e9) / 1e9;
}

/**
 * Which chunks the keyword leg ranks, as clauses of lexemes: a chunk is a candidate when it holds every
 * lexeme of at least one clause. Normally one clause per lexeme, rarest first, as many as keep the number
 * of candidates (known exactly from the statistics) within the budget; in a small knowledge base: every
 * lexeme. When even the rarest lexeme alone is over budget, a candidate must hold two of the rarest few
 * instead. Ranking then uses every lexeme of the query, so the commonest still count where they occur.
 */
export function keywordCandidateClauses(query: KeywordQuery, budget = KEYWORD_CANDIDATE_BUDGET): string[][] {
  const rows = Math.max(1, query.chunkCount);
  const byRarity = query.lexemes
    .map(({ lexeme, docFreq }) => ({ term: lexeme, share: docFreq / rows }))
    .sort((a, b) => a.share - b.share || (a.term < b.term ? -1 : 1));
  if (!byRarity.length) return [];
  const chosen: string[][] = [];
  let estimated = 0;
  for (const { term, share } of byRarity) {
    if (chosen.length && estimated + share * rows > budget) break;
    estimated += share * rows;
    chosen.push([term]);
  }
  if (estimated <= budget || chosen.length > 1 || byRarity.length < 2) return chosen;
  // A term in a large share of chunks pairs with everything and its long posting list is slow to read:
  // it joins a pair only when the query has nothing rarer.
  const few = byRarity
    .slice(0, PAIRED_TERMS)
    .filter((t, i) => i < 2 || t.share <= PAIRED_TERM_MAX_SHARE)
    .map((t) => t.term);
  return few.flatMap((a, i) => few.slice(i + 1).map((b) => [a, b]));
}
