import { keywordTerms, segmentForKeywords } from './keyword-segmenter';

describe('keyword segmenter', () => {
  it('splits Chinese into words and sub-words and drops function words', () => {
    const terms = keywordTerms('知识库的问答系统');
    expect(terms).toEqual(expect.arrayContaining(['知识', '知识库', '问答', '系统']));
    expect(terms).not.toContain('的');
  });

  it('lower-cases English and removes punctuation and tsquery operators', () => {
    expect(segmentForKeywords("Install TeX Live: a & b | !(c) 'd'")).toBe('install tex live a b c d');
  });

  it('returns nothing for punctuation only', () => {
    expect(keywordTerms('&|!():*"\'。，？')).toEqual([]);
  });
});
