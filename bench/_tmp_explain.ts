import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../src/database/database-options';
import { ChunkSearchRepository, buildSearchSql } from '../src/retrieval/chunk-search.repository';
import { segmentForKeywords } from '../src/common/text/keyword-segmenter';
import { keywordCandidateClauses } from '../src/retrieval/keyword-terms';
(async () => {
  const db = await new DataSource(buildDataSourceOptions('postgres://postgres@127.0.0.1:5432/zhiku_bench')).initialize();
  const repo = new ChunkSearchRepository(db);
  const [{ id }] = await db.query(`select id from knowledge_bases where slug='bench-100000'`);
  const stats = await repo.lexemeStatistics();
  const pool = (db.driver as any).master;
  const times: number[] = [];
  const ids: { id: string }[] = await db.query(`select id from chunks where knowledge_base_id=$1 and ordinal = 17`, [id]);
  for (let i = 0; i < Number(process.argv[3] ?? 1); i++) {
    const [{ e, content }] = await db.query(`select embedding::text as e, content from chunks where id=$1`, [ids[i].id]);
    const words = content.split(' ');
    const text = `how can the ${words[3]} ${words[5]} ${words[8]} of ${words[10]}`;
    const kt = segmentForKeywords(text);
    const terms = kt.split(' ');
    const q = { knowledgeBaseId: id, mode: (process.argv[2] ?? 'hybrid') as 'hybrid', dimension: 1024, embedding: JSON.parse(e), keywordText: kt, candidateClauses: keywordCandidateClauses(terms, await repo.lexemesOf(terms), stats), candidates: 40 };
    const t0 = performance.now();
    await repo.search(q);
    times.push(performance.now() - t0);
    if (performance.now() - t0 > 40 && process.argv[4] === 'slow') {
      const r = await pool.query(buildSearchSql(q).replace(/WITH /, 'EXPLAIN (ANALYZE, BUFFERS) WITH '));
      const plan = r[r.length - 1].rows.map((x: any) => x['QUERY PLAN']).join('\n');
      console.log('SLOW', (performance.now() - t0).toFixed(0), JSON.stringify(q.candidateClauses), plan.split('\n').filter((l: string) => /Bitmap|Execution|Heap Blocks|Recheck|rows=/.test(l)).map((l: string) => l.slice(0, 170)).slice(0, 12).join('\n'));
    }
    if (i === 0 && process.argv[4] === 'plan') {
      const r = await pool.query(buildSearchSql(q).replace(/WITH /, 'EXPLAIN (ANALYZE, BUFFERS) WITH '));
      console.log(r[r.length - 1].rows.map((x: any) => x['QUERY PLAN']).join('\n').replace(/'\[[^\]]*\]'/g, "'[…]'"));
    }
  }
  times.sort((a, b) => a - b);
  console.log('n', times.length, 'p50', times[Math.floor(times.length / 2)].toFixed(2), 'p95', times[Math.floor(times.length * 0.95)].toFixed(2));
  await db.destroy();
})();
