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

/** What PostgreSQL's statistics say about the keyword column (table-wide). */
export interface LexemeStatistics {
  /** Share of chunks holding each of the commonest lexemes. */
  shares: ReadonlyMap<string, number>;
  /**
   * Share assumed for a lexeme not among the commonest: half the least common one's, as PostgreSQL's own
   * estimate does (0 when there are no statistics yet).
   */
  otherShare?: number;
  /** Estimated number of chunks. */
  rows: number;
}

/**
 * Which chunks the keyword leg ranks, as clauses: a chunk is a candidate when it holds every term of at
 * least one clause. Normally one clause per term, rarest first, as many as keep the estimated number of
 * candidates within the budget (in a small knowledge base: every term). When even the rarest term alone
 * is over budget, a candidate must hold two of the rarest few terms instead. `lexemes` maps each term to
 * what PostgreSQL's text search makes of it (stemmed; none for a stop word, which selects nothing).
 */
export function keywordCandidateClauses(
  terms: string[],
  lexemes: ReadonlyMap<string, readonly string[]>,
  stats: LexemeStatistics,
  budget = KEYWORD_CANDIDATE_BUDGET,
): string[][] {
  const byRarity = [...new Set(terms)]
    .filter((term) => lexemes.get(term)?.length)
    .map((term) => ({
      term,
      share: Math.max(...(lexemes.get(term) as string[]).map((l) => stats.shares.get(l) ?? stats.otherShare ?? 0)),
    }))
    .sort((a, b) => a.share - b.share);
  if (!byRarity.length) return [];
  const chosen: string[][] = [];
  let estimated = 0;
  for (const { term, share } of byRarity) {
    if (chosen.length && estimated + share * stats.rows > budget) break;
    estimated += share * stats.rows;
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
