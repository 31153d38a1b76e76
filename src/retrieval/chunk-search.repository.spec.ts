import { buildSearchSql, ChunkSearchQuery } from './chunk-search.repository';

const base: ChunkSearchQuery = {
  knowledgeBaseId: '3f1c9a52-6a43-4f0e-9b61-2f4f9d1e8a10',
  mode: 'hybrid',
  dimension: 4,
  embedding: [0.5, 0.5, 0.5, 0.5],
  keywordText: 'sink output',
  candidates: 40,
};

describe('buildSearchSql', () => {
  it('uses the partial HNSW index of the dimension and fuses both legs with RRF', () => {
    const sql = buildSearchSql(base);
    expect(sql).toContain('c.embedding_dims = 4');
    expect(sql).toContain(`query_vector AS MATERIALIZED (SELECT '[0.5,0.5,0.5,0.5]'::halfvec(4) AS v)`);
    expect(sql).toContain('ORDER BY (c.embedding::halfvec(4)) <=> (SELECT v FROM query_vector)');
    expect(sql).toContain(`to_tsquery('english', '''sink'' | ''output''')`);
    expect(sql).toContain('1.0 / (60 + v.rank)');
    expect(sql).toMatch(/SET LOCAL hnsw\.ef_search = \d+;\s+SET LOCAL hnsw\.iterative_scan = relaxed_order;/);
    expect(sql.match(/\[0\.5,0\.5,0\.5,0\.5\]/g)).toHaveLength(1);
  });

  it('cannot be steered by the query text: quotes and backslashes are escaped, operators quoted', () => {
    const sql = buildSearchSql({ ...base, keywordText: "x' ; drop table chunks ; -- \\ | & !" });
    // One string literal holds the whole tsquery text; nothing of the input stands outside it.
    const literal = /to_tsquery\('english', (E?'(?:[^']|'')*')\)/.exec(sql)?.[1];
    expect(literal).toBeDefined();
    expect(sql.split(literal as string).join('')).not.toMatch(/drop table/i);
  });

  it('needs no tsquery when the query has no words, and no vector in keyword mode', () => {
    expect(buildSearchSql({ ...base, keywordText: '' })).toContain('NULL::tsquery');
    const keyword = buildSearchSql({ ...base, mode: 'keyword', embedding: undefined });
    expect(keyword).not.toContain('vector_leg');
    expect(keyword).not.toContain('<=>');
  });

  it('refuses ids, dimensions and vectors it could not inline safely', () => {
    expect(() => buildSearchSql({ ...base, knowledgeBaseId: "x'; --" })).toThrow(/not a UUID/);
    expect(() => buildSearchSql({ ...base, dimension: 5000 })).toThrow(/dimension/);
    expect(() => buildSearchSql({ ...base, embedding: [1, 2, 3] })).toThrow(/4 dimensions|3 dimensions/);
    expect(() => buildSearchSql({ ...base, embedding: [1, 2, NaN, 4] })).toThrow(/non-finite/);
  });
});
