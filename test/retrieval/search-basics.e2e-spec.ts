import request from 'supertest';
import { DataSource } from 'typeorm';
import { ChunkSearchRepository } from '../../src/retrieval/chunk-search.repository';
import { RetrievalService } from '../../src/retrieval/retrieval.service';
import { DEFAULT_FUSION, FUSION_COMBINATIONS } from '../../src/retrieval/retrieval.types';
import { OllamaClientService } from '../../src/llm/ollama-client.service';
import { segmentForKeywords } from '../../src/common/text/keyword-segmenter';
import { loginAsAdmin, TEST_ADMIN } from '../support/auth-helpers';
import { createKnowledgeBase, seedDocument, SeededKb } from '../support/retrieval-fixtures';
import { startTestApp, TestApp } from '../support/test-app';
import { ChunkRepository, vectorIndexName } from '../../src/documents/chunk.repository';

/**
 * Search rules that do not depend on PDF parsing: what is searchable (enabled chunks of ready documents),
 * the three modes and their scores, hostile queries, and that the SQL really walks the HNSW and GIN indexes.
 */
describe('search: modes, visibility and bad input (seeded passages)', () => {
  let t: TestApp;
  let headers: Record<string, string>;
  let kb: SeededKb;
  let emptyKb: SeededKb;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    t = await startTestApp({
      role: 'api',
      env: { ADMIN_EMAIL: TEST_ADMIN.email, ADMIN_PASSWORD: TEST_ADMIN.password },
    });
    headers = (await loginAsAdmin(t)).headers;
    kb = await createKnowledgeBase(t, headers);
    emptyKb = await createKnowledgeBase(t, headers);
    const manual = await seedDocument(t, kb.id, 'manual.pdf', [
      {
        title: 'Vectors',
        content: 'The function seq() generates regular sequences of numbers, for example seq(1, 10, by = 2).',
        page: 7,
      },
      {
        title: 'Output',
        content:
          'The function sink("record.lis") will divert all subsequent output from the console to an external file.',
        page: 12,
      },
      {
        title: 'Missing values',
        content: 'is.na(xx) is TRUE both for NA and NaN values. is.nan(xx) is only TRUE for NaNs.',
        page: 17,
      },
      {
        title: 'Graphics',
        content: 'Use par(mfrow = c(2, 2)) to put four plots on one page; the base size of text is reduced.',
        page: 85,
      },
      {
        title: 'Secret',
        content: 'This disabled passage mentions zebra quaternions and must never be found.',
        page: 90,
        enabled: false,
      },
    ]);
    ids.seq = manual.chunkIds[0];
    ids.sink = manual.chunkIds[1];
    ids.nan = manual.chunkIds[2];
    const chinese = await seedDocument(t, kb.id, '安装指南.pdf', [
      {
        title: '安装',
        content: '在 Windows 上安装 TeX Live 时，请以管理员身份运行安装程序，并确认磁盘空间足够。',
        page: 3,
      },
      {
        title: '中文排版',
        content: '使用 ctex 宏包可以方便地排版中文文档，它会自动设置中文字体和标点压缩。',
        page: 21,
      },
      { title: '数学公式', content: '行内公式用美元符号包围，独占一行的公式使用 equation 环境并自动编号。', page: 40 },
    ]);
    ids.install = chinese.chunkIds[0];
    ids.ctex = chinese.chunkIds[1];
    // A new version still being embedded: invisible until it replaces the ready one.
    const pending = await seedDocument(
      t,
      kb.id,
      'manual.pdf',
      [{ content: 'zebra quaternions in the pending version', page: 1 }],
      'embedding',
    );
    ids.pending = pending.chunkIds[0];
  });
  afterAll(async () => t?.close());

  const search = (body: Record<string, unknown>, kbId = kb.id) =>
    request(t.url).post(`/api/knowledge-bases/${kbId}/search`).set(headers).send(body);

  it.each(['hybrid', 'vector', 'keyword'] as const)(
    'finds the passage that answers an English query in %s mode',
    async (mode) => {
      const res = await search({ query: 'divert all subsequent output to a file', mode }).expect(200);
      expect(res.body.results[0]).toMatchObject({
        chunkId: ids.sink,
        documentName: 'manual.pdf',
        title: 'Output',
        pageFrom: 12,
        pageTo: 12,
        content: expect.stringContaining('sink("record.lis")'),
      });
      const top = res.body.results[0];
      if (mode !== 'keyword') expect(top.vectorScore).toBeGreaterThan(0.2);
      else expect(top.vectorScore).toBeNull();
      expect(top.keywordScore).toBeGreaterThan(0);
      expect(res.body.timings).toEqual({ embedMs: expect.any(Number), searchMs: expect.any(Number) });
      if (mode === 'keyword') expect(res.body.timings.embedMs).toBe(0);
    },
  );

  it("ranks by cosine similarity in vector mode and by both legs' scores in hybrid mode", async () => {
    const vector = await search({ query: 'is.nan only TRUE for NaN', mode: 'vector', topK: 3 }).expect(200);
    const scores = vector.body.results.map((r: { score: number }) => r.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(vector.body.results[0].score).toBe(vector.body.results[0].vectorScore);
    const hybrid = await search({ query: 'is.nan only TRUE for NaN', mode: 'hybrid', topK: 3 }).expect(200);
    expect(hybrid.body.results[0].chunkId).toBe(ids.nan);
    expect(hybrid.body.results[0]).toMatchObject({ vectorRank: 1, keywordRank: 1 });
    // The best keyword passage: its cosine similarity plus 1 (its BM25 over the best BM25, its own).
    const top = hybrid.body.results[0];
    expect(top.score).toBeCloseTo(top.vectorScore + 1, 2);
    const fused = hybrid.body.results.map((r: { score: number }) => r.score);
    expect(fused).toEqual([...fused].sort((a, b) => b - a));
  });

  it('fuses by every combination on the real SQL, and the weights scale the normalised legs', async () => {
    const retrieval = t.app.get(RetrievalService);
    const knowledgeBase = await retrieval.getKnowledgeBase(kb.id);
    const query = 'is.nan only TRUE for NaN';
    for (const combine of FUSION_COMBINATIONS) {
      const { results } = await retrieval.search(knowledgeBase, query, {
        mode: 'hybrid',
        topK: 3,
        fusion: { ...DEFAULT_FUSION, combine },
      });
      expect(results[0]).toMatchObject({ chunkId: ids.nan, vectorRank: 1, keywordRank: 1 });
      const fused = results.map((r) => r.score);
      expect(fused).toEqual([...fused].sort((a, b) => b - a));
      // Each leg's best passage scores 1 in that leg under max, minmax and tmm normalisation: 1 + 1 at the top.
      if (combine === 'max' || combine === 'minmax' || combine === 'tmm') expect(results[0].score).toBeCloseTo(2, 6);
      if (combine === 'dbsf' || combine === 'l2') expect(results[0].score).toBeGreaterThan(0);
    }
    const keywordOnly = await retrieval.search(knowledgeBase, query, {
      mode: 'hybrid',
      topK: 3,
      fusion: { ...DEFAULT_FUSION, combine: 'minmax', vectorWeight: 0, keywordWeight: 2 },
    });
    expect(keywordOnly.results[0]).toMatchObject({ chunkId: ids.nan, score: 2 });
  });

  it('finds Chinese passages by Chinese words (jieba), in keyword and hybrid mode', async () => {
    for (const mode of ['keyword', 'hybrid']) {
      const res = await search({ query: '怎样用中文排版？', mode }).expect(200);
      expect(res.body.results[0]).toMatchObject({ chunkId: ids.ctex, documentName: '安装指南.pdf', pageFrom: 21 });
    }
    const install = await search({ query: '安装程序需要管理员身份吗', mode: 'keyword' }).expect(200);
    expect(install.body.results[0].chunkId).toBe(ids.install);
  });

  it('never returns disabled chunks or documents that are not ready', async () => {
    for (const mode of ['hybrid', 'vector', 'keyword']) {
      const res = await search({ query: 'zebra quaternions', mode, topK: 50, minScore: 0 }).expect(200);
      const found = res.body.results.map((r: { chunkId: string }) => r.chunkId);
      expect(found).not.toContain(ids.pending);
      expect(found.length).toBeLessThanOrEqual(7);
      expect(res.body.results.every((r: { content: string }) => !r.content.includes('zebra'))).toBe(true);
    }
  });

  it('applies topK and minScore', async () => {
    const res = await search({ query: 'function', mode: 'vector', topK: 2, minScore: 0 }).expect(200);
    expect(res.body.results).toHaveLength(2);
    const strict = await search({
      query: 'completely unrelated astronomy words',
      mode: 'vector',
      minScore: 0.9,
    }).expect(200);
    expect(strict.body.results).toEqual([]);
  });

  it('answers an empty knowledge base with no results', async () => {
    const res = await search({ query: 'anything at all' }, emptyKb.id).expect(200);
    expect(res.body.results).toEqual([]);
  });

  it('treats queries made of tsquery operators, quotes or SQL as plain text, never a 500', async () => {
    const hostile = [
      '& | ! ( ) : *',
      "'",
      '"',
      "'; DROP TABLE chunks; --",
      '!!!',
      '\\',
      'a:*',
      "it's | (seq & ! sink)",
      '（）！：＊',
      '%_',
    ];
    for (const query of hostile) {
      for (const mode of ['keyword', 'hybrid', 'vector']) {
        const res = await search({ query, mode });
        expect({ query, mode, status: res.status }).toEqual({ query, mode, status: 200 });
        expect(Array.isArray(res.body.results)).toBe(true);
      }
    }
    const onlyOperators = await search({ query: '& | ! ( ) : *', mode: 'keyword' }).expect(200);
    expect(onlyOperators.body.results).toEqual([]);
    const mixed = await search({ query: "it's | (seq & ! sink)", mode: 'keyword' }).expect(200);
    expect(mixed.body.results.map((r: { chunkId: string }) => r.chunkId)).toEqual(
      expect.arrayContaining([ids.seq, ids.sink]),
    );
  });

  it('refuses bad input with a 4xx that names the problem', async () => {
    const cases: [Record<string, unknown>, number, RegExp][] = [
      [{ query: '' }, 400, /query must not be empty/],
      [{ query: '   \n ' }, 400, /query must not be empty/],
      [{ query: 'x'.repeat(10_000) }, 400, /query is too long/],
      [{ query: 'ok', topK: 0 }, 400, /topK must be at least 1/],
      [{ query: 'ok', topK: 51 }, 400, /topK must be at most 50/],
      [{ query: 'ok', topK: 2.5 }, 400, /topK must be a whole number/],
      [{ query: 'ok', mode: 'fuzzy' }, 400, /mode must be one of hybrid, vector, keyword/],
      [{ query: 'ok', minScore: 3 }, 400, /minScore must be at most 1/],
      [{ query: 42 }, 400, /query must be text/],
      [{}, 400, /query must be text/],
    ];
    for (const [body, status, message] of cases) {
      const res = await search(body);
      expect({ body, status: res.status }).toEqual({ body, status });
      expect(res.body.message).toMatch(message);
    }
    const unknown = await search({ query: 'ok' }, '00000000-0000-4000-8000-000000000000');
    expect(unknown.status).toBe(404);
  });

  it("walks the knowledge base's HNSW index and the GIN index (EXPLAIN)", async () => {
    // A knowledge base of 20,000 passages (most without a vector yet), so its rows are not a handful.
    const planKb = await createKnowledgeBase(t, headers);
    const doc = await seedDocument(t, planKb.id, 'plan.pdf', [{ content: 'divert all subsequent output', page: 1 }]);
    const db = t.app.get(DataSource);
    await db.query(
      `INSERT INTO chunks (document_id, knowledge_base_id, ordinal, content, search_vector)
       SELECT $1, $2, g, 'filler' || g, to_tsvector('english', 'filler' || g || ' padding' || (g % 50))
       FROM generate_series(1, 20000) g`,
      [doc.id, planKb.id],
    );
    await db.query('ANALYZE chunks');
    await t.app.get(ChunkRepository).ensureVectorIndex(planKb.id, 1024, { minChunks: 1, buildMemoryMb: 256 });
    const [embedding] = await t.app.get(OllamaClientService).embed(['divert output']);
    const query = {
      knowledgeBaseId: planKb.id,
      mode: 'hybrid' as const,
      dimension: 1024,
      embedding,
      keywords: await t.app
        .get(ChunkSearchRepository)
        .analyzeKeywordQuery(planKb.id, 'divert output', segmentForKeywords('divert output').split(' ')),
      candidates: 40,
    };
    // Still small enough that reading the knowledge base's rows and sorting them is cheapest; on a large table
    // the planner walks the indexes by itself (bench:search prints that plan). With sorts and plain scans
    // switched off, the indexes must serve the statement: the HNSW index its ORDER BY, the GIN index its @@.
    const repo = t.app.get(ChunkSearchRepository);
    const vectorPlan = await repo.explain({ ...query, mode: 'vector' }, { enable_seqscan: 'off', enable_sort: 'off' });
    expect(vectorPlan).toContain(`Index Scan using ${vectorIndexName(planKb.id)} on chunks`);
    expect(vectorPlan).toMatch(/Order By: \(\(embedding\)::halfvec\(1024\) <=> /);
    // The knowledge-base index may also serve the keyword leg (the planner picks by statistics); what must hold
    // is that the GIN index answers the leg's @@ on its own, for the tsquery the search builds.
    const keywordPlanRows: { 'QUERY PLAN': string }[] = await db.transaction(async (tx) => {
      await tx.query('SET LOCAL enable_seqscan = off');
      await tx.query('SET LOCAL enable_indexscan = off');
      return tx.query(`EXPLAIN SELECT id FROM chunks WHERE search_vector @@ $1::tsquery`, ["'divert' | 'output'"]);
    });
    expect(keywordPlanRows.map((r) => r['QUERY PLAN']).join('\n')).toMatch(
      /Bitmap Index Scan on chunks_search_vector_idx/,
    );
    const results = await search({ query: 'divert output', minScore: 0 }, planKb.id).expect(200);
    expect(results.body.results[0].content).toBe('divert all subsequent output');
  });
});
