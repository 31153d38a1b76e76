import { keywordCandidateClauses } from './keyword-terms';

describe('keywordCandidateClauses', () => {
  const shares = new Map([
    ['r', 0.35],
    ['file', 0.28],
    ['exampl', 0.22],
    ['use', 0.38],
    ['使用', 0.2],
    ['binari', 0.01],
  ]);
  const lexemes = new Map<string, string[]>([
    ['r', ['r']],
    ['files', ['file']],
    ['examples', ['exampl']],
    ['using', ['use']],
    ['使用', ['使用']],
    ['命令', ['命令']],
    ['binary', ['binari']],
    ['preferred', ['prefer']],
    ['the', []],
  ]);

  it('keeps every term in a small knowledge base (stop words select nothing)', () => {
    expect(
      keywordCandidateClauses(['the', 'preferred', 'binary', 'files', 'r'], lexemes, { shares, rows: 600 }),
    ).toEqual([['preferred'], ['binary'], ['files'], ['r']]);
  });

  it('leaves out the commonest terms once the rarer ones bring enough candidates', () => {
    expect(
      keywordCandidateClauses(['preferred', 'binary', 'examples', 'r'], lexemes, { shares, rows: 100_000 }, 1000),
    ).toEqual([['preferred'], ['binary']]);
    expect(keywordCandidateClauses(['使用', '命令'], lexemes, { shares, rows: 100_000 }, 1000)).toEqual([['命令']]);
  });

  it('asks for two of the rarest terms when every term is common', () => {
    // Beyond the two rarest, very common terms (here all over 5 % of chunks) are not paired.
    expect(keywordCandidateClauses(['the', 'r', 'files', 'using'], lexemes, { shares, rows: 100_000 }, 1000)).toEqual([
      ['files', 'r'],
    ]);
    expect(
      keywordCandidateClauses(
        ['r', 'files', 'binary', 'preferred'],
        lexemes,
        { shares, rows: 100_000, otherShare: 0.012 },
        100,
      ),
    ).toEqual([['binary', 'preferred']]); // an unlisted term counts as half the least common listed one
    expect(keywordCandidateClauses(['r'], lexemes, { shares, rows: 100_000 }, 1000)).toEqual([['r']]);
    expect(keywordCandidateClauses(['the'], lexemes, { shares, rows: 100_000 }, 1000)).toEqual([]);
  });
});
