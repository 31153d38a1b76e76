/**
 * About how many chunks the keyword leg may rank. Ranking (ts_rank_cd) reads every candidate's row, so
 * a term that most chunks contain ("r", "use", "使用" in a library of R and LaTeX manuals) would make an
 * OR query rank much of the table. Such terms still count in the ranking; they just stop selecting
 * candidates once the rarer terms already bring this many.
 */
export const KEYWORD_CANDIDATE_BUDGET = 2000;

/** What PostgreSQL's statistics say about the keyword column (table-wide). */
export interface LexemeStatistics {
  /** Share of chunks holding each of the commonest lexemes. */
  shares: ReadonlyMap<string, number>;
  /** Estimated number of chunks. */
  rows: number;
}

/**
 * The terms a chunk must contain one of to be a keyword candidate: the rarest first, as many as keep the
 * estimated number of candidates within the budget, and at least one. In a small knowledge base that is
 * every term. `lexemes` maps each term to what PostgreSQL's text search makes of it (stemmed; none for a
 * stop word, which selects nothing and is left out).
 */
export function candidateTerms(
  terms: string[],
  lexemes: ReadonlyMap<string, readonly string[]>,
  stats: LexemeStatistics,
  budget = KEYWORD_CANDIDATE_BUDGET,
): string[] {
  const byRarity = [...new Set(terms)]
    .filter((term) => lexemes.get(term)?.length)
    .map((term) => ({ term, share: Math.max(...(lexemes.get(term) as string[]).map((l) => stats.shares.get(l) ?? 0)) }))
    .sort((a, b) => a.share - b.share);
  const chosen = new Set<string>();
  let estimated = 0;
  for (const { term, share } of byRarity) {
    estimated += share * stats.rows;
    if (chosen.size && estimated > budget) break;
    chosen.add(term);
  }
  return terms.filter((term) => chosen.has(term));
}
