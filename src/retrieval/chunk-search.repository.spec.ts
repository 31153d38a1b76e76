import { buildSearchSql, ChunkSearchQuery, efSearchFor } from './chunk-search.repository';
import { DEFAULT_FUSION } from './retrieval.types';

const base: ChunkSearchQuery = {
  knowledgeBaseId: '3f1c9a52-6a43-4f0e-9b61-2f4f9d1e8a10',
  mode: 'hybrid',
  dimension: 4,
  embedding: [0.5, 0.5, 0.5, 0.5],
  keywords: {
    lexemes: [
      { lexeme: 'sink', docFreq: 3 },
      { lexeme: 'output', docFreq: 40 },
    ],
    chunkCount: 100,
    averageLength: 80,
  },
  candidates: 40,
};

describe('buildSearchSql', () => {
  it('uses the partial HNSW index of the dimension and fuses both legs by their scores (or ranks)', () => {
    const sql = buildSearchSql(base);
    expect(sql).toContain('c.embedding_dims = 4');
    expect(sql).toContain(`query_vector AS MATERIALIZED (SELECT '[0.5,0.5,0.5,0.5]'::halfvec(4) AS v)`);
    expect(sql).toContain('ORDER BY (c.embedding::halfvec(4)) <=> (SELECT v FROM query_vector)');
    expect(sql).toContain(`'''sink'' | ''output'''::tsquery`);
    // By default both legs score every candidate: cosine, and BM25 over the best keyword candidate's.
    expect(sql).toContain('1::float8 * greatest(0, 1 - x.distance)');
    expect(sql).toContain('/ greatest((SELECT max(rank_score) FROM keyword_leg), 1e-9) AS score');
    expect(sql).toContain(
      'coalesce(b.distance, (c.embedding::halfvec(4)) <=> (SELECT v FROM query_vector)) AS distance',
    );
    expect(sql).toContain('ORDER BY f.agreed DESC, f.score DESC');
    // BM25: idf of each lexeme from the knowledge base's statistics, length from keyword_length.
    expect(sql).toMatch(/\('sink', 3\.\d+::float8\)/);
    expect(sql).toContain('keyword_length / 80::float8');
    // Weighted RRF, score-aware, with the agreement tier.
    const ranks = buildSearchSql({
      ...base,
      fusion: { vectorWeight: 1, keywordWeight: 1, rrfK: 60, agreementDepth: 10, scoreAware: true, combine: 'ranks' },
    });
    expect(ranks).toContain('1::float8 * greatest(0, (SELECT 1 - min(distance) FROM vector_leg)) / (60 + v.rank)');
    expect(ranks).toContain('1::float8 * least(1, (SELECT max(rank_score) FROM keyword_leg) / ');
    expect(ranks).toContain('(v.rank <= 10 AND k.rank <= 10) IS TRUE AS agreed');
    expect(
      buildSearchSql({
        ...base,
        fusion: {
          vectorWeight: 0.5,
          keywordWeight: 2,
          rrfK: 60,
          agreementDepth: 10,
          scoreAware: false,
          combine: 'ranks',
        },
      }),
    ).toContain('2::float8 / (60 + k.rank)');
    expect(sql).toMatch(/SET LOCAL hnsw\.ef_search = \d+;\s+SET LOCAL hnsw\.iterative_scan = relaxed_order;/);
    expect(sql.match(/\[0\.5,0\.5,0\.5,0\.5\]/g)).toHaveLength(1);
  });

  it('normalises each leg over its own candidates for max, minmax, tmm, l2 and distribution-based fusion', () => {
    const fused = (
      combine: 'max' | 'minmax' | 'tmm' | 'l2' | 'dbsf',
      weights = { vectorWeight: 1, keywordWeight: 1 },
    ) => buildSearchSql({ ...base, fusion: { ...DEFAULT_FUSION, ...weights, combine } });
    const minmax = fused('minmax');
    expect(minmax).toContain('FROM (SELECT min(1 - distance) AS low, max(1 - distance) AS high FROM vector_leg) v');
    expect(minmax).toContain('(SELECT min(rank_score) AS low, max(rank_score) AS high FROM keyword_leg) k');
    expect(minmax).toContain(
      '1::float8 * (CASE WHEN n.v_high - n.v_low > 1e-12 THEN least(1, greatest(0, ((1 - x.distance) - n.v_low) / (n.v_high - n.v_low)))',
    );
    expect(minmax).toContain('WHEN coalesce(x.rank_score, 0) >= n.k_high THEN 1 ELSE 0 END)');
    expect(minmax).toContain(') x CROSS JOIN leg_bounds n');
    expect(fused('max')).toContain('SELECT 0::float8 AS low, max(1 - distance) AS high FROM vector_leg');
    expect(fused('tmm')).toContain('SELECT -1::float8 AS low, max(1 - distance) AS high FROM vector_leg');
    expect(fused('tmm')).toContain('SELECT 0::float8 AS low, max(rank_score) AS high FROM keyword_leg');
    expect(fused('l2')).toContain('sqrt(sum((rank_score) * (rank_score))) AS high FROM keyword_leg');
    expect(fused('dbsf')).toContain(
      'SELECT avg(rank_score) - 3 * stddev_pop(rank_score) AS low, avg(rank_score) + 3 * stddev_pop(rank_score) AS high FROM keyword_leg',
    );
    // The knowledge base's weights multiply the normalised legs.
    const weighted = fused('dbsf', { vectorWeight: 0.5, keywordWeight: 2 });
    expect(weighted).toContain('0.5::float8 * (CASE WHEN n.v_high');
    expect(weighted).toContain('+ 2::float8 * (CASE WHEN n.k_high');
    // Every candidate is scored by both legs, as in the default combination.
    expect(minmax).toContain(
      'coalesce(b.distance, (c.embedding::halfvec(4)) <=> (SELECT v FROM query_vector)) AS distance',
    );
    expect(() =>
      buildSearchSql({ ...base, fusion: { ...DEFAULT_FUSION, combine: 'median' as unknown as 'max' } }),
    ).toThrow(/unknown fusion/);
  });

  it('cannot be steered by the query text: quotes and backslashes are escaped, operators quoted', () => {
    const evil = "x' ; drop table chunks ; -- \\ | & !";
    const sql = buildSearchSql({
      ...base,
      keywords: { lexemes: [{ lexeme: evil, docFreq: 1 }], chunkCount: 10, averageLength: 5 },
    });
    // Every occurrence of the lexeme is inside a string literal; nothing of the input stands outside one.
    const outsideLiterals = sql.replace(/E?'(?:[^'\\]|''|\\.)*'/g, '');
    expect(outsideLiterals).not.toMatch(/drop table/i);
  });

  it('needs no tsquery when the query has no words, and no vector in keyword mode', () => {
    expect(buildSearchSql({ ...base, keywords: { lexemes: [], chunkCount: 0, averageLength: 1 } })).toContain(
      'NULL::tsquery',
    );
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

describe('efSearchFor', () => {
  it('searches large knowledge bases wider, and wider still when their graph was built with the old ef_construction 64', () => {
    expect(efSearchFor(100_000)).toBe(100);
    expect(efSearchFor(1_000_000)).toBe(200);
    expect(efSearchFor(1_000_000, 128)).toBe(200);
    // Such a graph reached recall@10 0.94 only at 400 (bench:search at 1,000,000 chunks).
    expect(efSearchFor(1_000_000, 64)).toBe(400);
    expect(efSearchFor(100_000, 64)).toBe(100);
  });
});
