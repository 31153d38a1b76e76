import { bm25Idf, KeywordQuery, keywordCandidateClauses } from './keyword-terms';

describe('keywordCandidateClauses', () => {
  const query = (chunkCount: number, docFreqs: Record<string, number>): KeywordQuery => ({
    lexemes: Object.entries(docFreqs).map(([lexeme, docFreq]) => ({ lexeme, docFreq })),
    chunkCount,
    averageLength: 80,
  });

  it('keeps every lexeme in a small knowledge base, rarest first', () => {
    expect(keywordCandidateClauses(query(600, { prefer: 12, binari: 6, file: 170, r: 210 }))).toEqual([
      ['binari'],
      ['prefer'],
      ['file'],
      ['r'],
    ]);
  });

  it('leaves out the commonest lexemes once the rarer ones bring enough candidates', () => {
    const q = query(100_000, { prefer: 0, binari: 1000, exampl: 22_000, r: 35_000 });
    expect(keywordCandidateClauses(q, 1000)).toEqual([['prefer'], ['binari']]);
    expect(keywordCandidateClauses(query(100_000, { 使用: 20_000, 命令: 300 }), 1000)).toEqual([['命令']]);
  });

  it('asks for two of the rarest lexemes when every lexeme is common', () => {
    // Beyond the two rarest, very common lexemes (here all over 5 % of chunks) are not paired.
    expect(keywordCandidateClauses(query(100_000, { r: 35_000, file: 28_000, use: 38_000 }), 1000)).toEqual([
      ['file', 'r'],
    ]);
    expect(keywordCandidateClauses(query(100_000, { r: 35_000 }), 1000)).toEqual([['r']]);
    expect(keywordCandidateClauses(query(100_000, {}), 1000)).toEqual([]);
  });
});

describe('bm25Idf', () => {
  it('is larger for rarer lexemes and never negative', () => {
    expect(bm25Idf(1, 1000)).toBeGreaterThan(bm25Idf(10, 1000));
    expect(bm25Idf(1000, 1000)).toBeGreaterThan(0);
    expect(bm25Idf(5000, 1000)).toBeGreaterThan(0); // a stale count above N is clamped
    expect(bm25Idf(0, 0)).toBeGreaterThan(0);
  });
});
