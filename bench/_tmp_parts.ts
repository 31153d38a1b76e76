import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../src/database/database-options';
import { ChunkSearchRepository, buildSearchSql } from '../src/retrieval/chunk-search.repository';
import { segmentForKeywords } from '../src/common/text/keyword-segmenter';
import { keywordCandidateClauses } from '../src/retrieval/keyword-terms';
import { Corpus, prng } from './search.bench';
(async () => {
  const db = await new DataSource(buildDataSourceOptions(`postgres://postgres@127.0.0.1:5432/zhiku_bench`)).initialize();
  const repo = new ChunkSearchRepository(db);
  const [{ id }] = await db.query(`select id from knowledge_bases where slug='bench-100000'`);
  const stats = await repo.lexemeStatistics();
  const pool = (db.driver as any).master;
  const corpus = new Corpus(100_000);
  const random = prng(99);
  const res: Record<string, number[]> = {};
  const time = async (k: string, f: () => Promise<unknown>) => { const t = performance.now(); await f(); (res[k] ??= []).push(performance.now() - t); };
  for (let i = 0; i < 80; i++) {
    const qq = corpus.query(Math.floor(random() * corpus.topics), random);
    const kt = segmentForKeywords(qq.text);
    const terms = kt.split(' ');
    const base = { knowledgeBaseId: id, dimension: 1024, embedding: qq.vector, keywordText: kt, candidateClauses: keywordCandidateClauses(terms, await repo.lexemesOf(terms), stats), candidates: 40 };
    for (const mode of ['hybrid', 'vector', 'keyword'] as const) {
      const sql = buildSearchSql({ ...base, mode });
      await time(`${mode} explain`, () => pool.query(sql.replace(/WITH /, 'EXPLAIN WITH ')));
      await time(`${mode} explain zero vector`, () => pool.query(sql.replace(/'\[[^\]]*\]'/, `'[${new Array(1024).fill(0.03125).join(',')}]'`).replace(/WITH /, 'EXPLAIN WITH ')));
    }
    await time('SET x4 + SELECT 1', () => pool.query(`SET LOCAL jit = off; SET LOCAL max_parallel_workers_per_gather = 0; SET LOCAL hnsw.ef_search = 100; SET LOCAL hnsw.iterative_scan = relaxed_order; SELECT 1`));
    await time('halfvec literal parse', () => pool.query(`SELECT '[${qq.vector.join(',')}]'::halfvec(1024) IS NULL`));
  }
  const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  const p95 = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length * 0.95)];
  for (const [k, v] of Object.entries(res)) console.log(med(v).toFixed(2).padStart(8), p95(v).toFixed(2).padStart(8), k);
  await db.destroy();
})();
