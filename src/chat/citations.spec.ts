import type { Citation } from './chat.types';
import { citedSources, toCitation } from './citations';

const given: Citation[] = [1, 2, 3].map((index) => ({
  index,
  chunkId: `c${index}`,
  documentId: 'd',
  documentName: 'doc.pdf',
  title: '',
  pageFrom: index,
  pageTo: index,
  snippet: '',
}));

describe('citedSources', () => {
  it('maps [n] marks to the sources given, in index order, once each', () => {
    expect(citedSources('B [3]. A [1]. Again [3].', given).map((c) => c.chunkId)).toEqual(['c1', 'c3']);
  });

  it('reads the ways models write citations', () => {
    for (const answer of [
      'x [1, 2]',
      'x [1][2]',
      'x 【1】【2】',
      'x [^1] [^2]',
      'x [source 1], [Source 2]',
      'x [资料1][来源 2]',
      'x [1，2]',
    ]) {
      expect({ answer, cited: citedSources(answer, given).map((c) => c.index) }).toEqual({ answer, cited: [1, 2] });
    }
  });

  it('drops numbers that were never given and things that are not citations', () => {
    expect(citedSources('See [7], [0], [12] and array x[1:3] or [a].', given)).toEqual([]);
    expect(citedSources('No citations here.', given)).toEqual([]);
  });
});

describe('toCitation', () => {
  it('keeps a short snippet of the passage', () => {
    const citation = toCitation(
      {
        chunkId: 'c',
        documentId: 'd',
        documentName: 'a.pdf',
        title: 't',
        content: 'word '.repeat(100),
        pageFrom: 1,
        pageTo: 2,
        score: 1,
        vectorScore: 1,
        keywordScore: 0,
        vectorRank: 1,
        keywordRank: null,
      },
      4,
    );
    expect(citation).toMatchObject({ index: 4, chunkId: 'c', pageFrom: 1, pageTo: 2 });
    expect(citation.snippet.length).toBeLessThanOrEqual(201);
    expect(citation.snippet.endsWith('…')).toBe(true);
  });
});
