import { candidateTerms } from './keyword-terms';

describe('candidateTerms', () => {
  const shares = new Map([
    ['r', 0.35],
    ['file', 0.28],
    ['exampl', 0.22],
    ['使用', 0.2],
    ['binari', 0.01],
  ]);
  const lexemes = new Map<string, string[]>([
    ['r', ['r']],
    ['files', ['file']],
    ['examples', ['exampl']],
    ['使用', ['使用']],
    ['命令', ['命令']],
    ['binary', ['binari']],
    ['preferred', ['prefer']],
    ['the', []],
  ]);

  it('keeps every term in a small knowledge base (stop words select nothing)', () => {
    expect(candidateTerms(['the', 'preferred', 'binary', 'files', 'r'], lexemes, { shares, rows: 600 })).toEqual(['preferred', 'binary', 'files', 'r']);
  });

  it('leaves out the commonest terms once the rarer ones bring enough candidates', () => {
    expect(candidateTerms(['preferred', 'binary', 'examples', 'r'], lexemes, { shares, rows: 100_000 })).toEqual(['preferred', 'binary']);
    expect(candidateTerms(['使用', '命令'], lexemes, { shares, rows: 100_000 })).toEqual(['命令']);
  });

  it('keeps the rarest term when every term is common', () => {
    expect(candidateTerms(['the', 'r', 'files'], lexemes, { shares, rows: 100_000 })).toEqual(['files']);
  });
});
