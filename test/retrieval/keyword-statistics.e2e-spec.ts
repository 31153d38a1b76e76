import * as fs from 'node:fs';
import * as path from 'node:path';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { ChunkRepository } from '../../src/documents/chunk.repository';
import { DocumentRepository } from '../../src/documents/document.repository';
import { KeywordStatisticsRepository } from '../../src/retrieval/keyword-statistics.repository';
import { CORPUS_DIR, IngestionClient } from '../ingestion/support/ingestion-client';
import { eventually } from '../support/eventually';
import { seedDocument } from '../support/retrieval-fixtures';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * BM25's per-knowledge-base statistics stay exact through every write that changes what is searchable:
 * each step compares the stored statistics with a recomputation from the chunks (drift() is empty) and
 * checks a few figures by hand.
 */
describe('keyword statistics (BM25) stay exact', () => {
  let t: TestApp;
  let api: IngestionClient;
  let db: DataSource;
  let stats: KeywordStatisticsRepository;

  beforeAll(async () => {
    t = await startTestApp();
    api = await IngestionClient.signIn(t);
    db = new DataSource({ type: 'postgres', url: process.env.DATABASE_URL });
    await db.initialize();
    stats = t.app.get(KeywordStatisticsRepository);
  });
  afterEach(() => t.fake.reset());
  afterAll(async () => {
    await db?.destroy();
    await t?.close();
  });

  const exact = async (kbId?: string): Promise<void> => expect(await stats.drift(kbId)).toEqual([]);
  const docFreq = async (kbId: string, lexeme: string): Promise<number> =>
    (await stats.stored(kbId)).lexemes.get(lexeme) ?? 0;
  const searchable = async (kbId: string): Promise<number> =>
    (
      await db.query(
        `SELECT count(*)::int AS n FROM chunks c JOIN documents d ON d.id = c.document_id
          WHERE c.knowledge_base_id = $1 AND c.enabled AND c.ingest_run = d.live_run`,
        [kbId],
      )
    )[0].n;

  it('through upload, chunk edit, disable and enable, reindex, document and knowledge-base deletion', async () => {
    const kb = await api.createKnowledgeBase();
    const [a, b] = await api.uploadOk(kb.id, [
      { name: 'a.md', data: Buffer.from('# Paper\n\nSet R_PAPERSIZE to a4 for the paper size of R.') },
      { name: 'b.md', data: Buffer.from('# 参考文献\n\n使用 BibTeX 生成参考文献，再用 \\newpage 换页。') },
    ]);
    await Promise.all([api.waitFor(a.id), api.waitFor(b.id)]);
    await exact(kb.id);
    let stored = await stats.stored(kb.id);
    expect(stored.chunks).toBe(await searchable(kb.id));
    expect(stored.chunks).toBeGreaterThan(0);
    // Identifiers are terms of their own, beside their pieces.
    expect(await docFreq(kb.id, 'r_papersize')).toBe(1);
    expect(await docFreq(kb.id, 'papers')).toBe(1);
    expect(await docFreq(kb.id, '\\newpage')).toBe(1);
    expect(await docFreq(kb.id, 'bibtex')).toBe(1);

    // Edit: the old words go, the new ones come.
    const [chunkA] = await api.allChunks(a.id);
    await api
      .patch(`/api/chunks/${chunkA.id}`)
      .send({ content: 'Use as.numeric(levels(f))[f] for factors.' })
      .expect(200);
    await exact(kb.id);
    expect(await docFreq(kb.id, 'r_papersize')).toBe(0);
    expect(await docFreq(kb.id, 'as.numeric')).toBe(1);

    // Disable and enable.
    await api.patch(`/api/chunks/${chunkA.id}`).send({ enabled: false }).expect(200);
    await exact(kb.id);
    expect(await docFreq(kb.id, 'as.numeric')).toBe(0);
    await api.patch(`/api/chunks/${chunkA.id}`).send({ enabled: true }).expect(200);
    await exact(kb.id);
    expect(await docFreq(kb.id, 'as.numeric')).toBe(1);

    // Reindex: the live run keeps counting while the new one is written, then the swap replaces it.
    const before = await stats.stored(kb.id);
    await api.post(`/api/documents/${a.id}/reindex`).expect(202);
    await api.waitFor(a.id);
    await exact(kb.id);
    expect(await docFreq(kb.id, 'r_papersize')).toBe(1); // the original text is back
    expect(await docFreq(kb.id, 'as.numeric')).toBe(0);
    expect((await stats.stored(kb.id)).chunks).toBe(before.chunks);

    // A new version of a file replaces the old one.
    await api.uploadOk(kb.id, [{ name: 'a.md', data: Buffer.from('# Paper\n\nThe papersize option: R_PAPERSIZE.') }]);
    await eventually(async () => {
      const docs = (await api.get(`/api/knowledge-bases/${kb.id}/documents`)).body.items as Array<{ status: string }>;
      expect(docs.length).toBe(2);
      expect(docs.every((d) => d.status === 'ready')).toBe(true);
    });
    await exact(kb.id);

    // Document deletion.
    await api.delete(`/api/documents/${b.id}`).expect(204);
    await exact(kb.id);
    expect(await docFreq(kb.id, 'bibtex')).toBe(0);
    stored = await stats.stored(kb.id);
    expect(stored.chunks).toBe(await searchable(kb.id));

    // Knowledge-base deletion: nothing is searchable at once, and the purge changes nothing after.
    await api.delete(`/api/knowledge-bases/${kb.id}`).expect(202);
    expect(await stats.stored(kb.id)).toMatchObject({ chunks: 0, totalLength: 0, lexemes: new Map() });
    await eventually(async () => {
      const [{ n }] = await db.query(`SELECT count(*)::int AS n FROM knowledge_bases WHERE id = $1`, [kb.id]);
      expect(n).toBe(0);
    });
    await exact();
    // Nothing of its statistics outlives it (lexeme rows go with the knowledge base's statistics row).
    const [left] = await db.query(
      `SELECT (SELECT count(*)::int FROM keyword_kb_stats WHERE knowledge_base_id = $1) AS kbs,
              (SELECT count(*)::int FROM keyword_lexeme_stats WHERE knowledge_base_id = $1) AS lexemes`,
      [kb.id],
    );
    expect(left).toEqual({ kbs: 0, lexemes: 0 });
  });

  it('through a failed reindex (the live run keeps serving) and under concurrent ingestion into one knowledge base', async () => {
    const kb = await api.createKnowledgeBase();
    const corpus = ['R-data.pdf', 'install-latex-guide-zh-cn.pdf'].map((name) => ({
      name,
      data: fs.readFileSync(path.join(CORPUS_DIR, name)),
    }));
    const small = Array.from({ length: 12 }, (_, i) => ({
      name: `note-${i}.md`,
      data: Buffer.from(`# Note ${i}\n\nSetting R_LIBS_USER number ${i} with lm(y ~ x^${i}) 中文排版 第${i}节。`),
    }));
    // Several documents at once: the worker ingests two at a time, completions race for the statistics.
    const docs = await api.uploadOk(kb.id, [...corpus, ...small]);
    await Promise.all(docs.map((d) => api.waitFor(d.id, undefined, 180_000)));
    await exact(kb.id);
    expect(await docFreq(kb.id, 'r_libs_user')).toBe(12);
    expect((await stats.stored(kb.id)).chunks).toBe(await searchable(kb.id));

    // Edits and disables while another document is being ingested into the same knowledge base.
    const chunks = await api.allChunks(docs[0].id);
    const reindex = api.post(`/api/documents/${docs[1].id}/reindex`).expect(202);
    await Promise.all([
      reindex,
      ...chunks.slice(0, 10).map((c, i) =>
        api
          .patch(`/api/chunks/${c.id}`)
          .send({ enabled: i % 2 === 0 })
          .expect(200),
      ),
    ]);
    await api.waitFor(docs[1].id, undefined, 180_000);
    await exact(kb.id);

    // A reindex that fails: its chunks go, the live run's keep counting.
    const before = await stats.stored(kb.id);
    t.fake.configure({ missingModels: ['bge-m3:latest'] });
    await api.post(`/api/documents/${docs[2].id}/reindex`).expect(202);
    expect((await api.waitFor(docs[2].id, (d) => d.status === 'failed')).status).toBe('failed');
    await exact(kb.id);
    expect((await stats.stored(kb.id)).chunks).toBe(before.chunks);
  });

  it('when many live-run swaps, edits and deletions of one knowledge base run at once (no deadlock, no lost count)', async () => {
    const kb = await api.createKnowledgeBase();
    const words = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', '中文', '排版', 'r_home', 'as.numeric', 'zeta'];
    const text = (i: number, j: number): string =>
      Array.from({ length: 12 }, (_, k) => words[(i * 7 + j * 3 + k * k) % words.length]).join(' ');
    const live = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        seedDocument(
          t,
          kb.id,
          `live-${i}.md`,
          [0, 1, 2].map((j) => ({ content: text(i, j), page: j + 1 })),
        ),
      ),
    );
    const pending = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        seedDocument(
          t,
          kb.id,
          `pending-${i}.md`,
          [0, 1, 2, 3].map((j) => ({ content: text(i + 4, j), page: j + 1 })),
          'embedding',
        ),
      ),
    );
    await exact(kb.id);
    const documents = t.app.get(DocumentRepository);
    const chunkRepo = t.app.get(ChunkRepository);
    const outcomes = await Promise.allSettled([
      ...pending.map((d) => documents.completeRun(d.id, 1, { chunkCount: 4, pageCount: 4 })),
      ...live.flatMap((d, i) => d.chunkIds.map((id, j) => chunkRepo.updateChunk(id, { enabled: (i + j) % 2 === 0 }))),
      documents.delete(live[3].id),
    ]);
    expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([]);
    await exact(kb.id);
    expect((await stats.stored(kb.id)).chunks).toBe(await searchable(kb.id));
  });

  it('the check finds drift and --repair rebuilds it', async () => {
    const kb = await api.createKnowledgeBase();
    const [doc] = await api.uploadOk(kb.id, [{ name: 'x.md', data: Buffer.from('Drifting statistics of zebras.') }]);
    await api.waitFor(doc.id);
    await db.query(`UPDATE keyword_lexeme_stats SET doc_freq = doc_freq + 5 WHERE knowledge_base_id = $1`, [kb.id]);
    await db.query(`UPDATE keyword_kb_stats SET chunk_count = 99 WHERE knowledge_base_id = $1`, [kb.id]);
    const [drift] = await stats.drift(kb.id);
    expect(drift).toMatchObject({ knowledgeBaseId: kb.id, storedChunks: 99, expectedChunks: 1 });
    expect(drift.wrongLexemes).toBeGreaterThan(0);
    await stats.rebuild(kb.id);
    await exact(kb.id);
    // The search sees the repaired figures (trace).
    const res = await request(t.url)
      .post(`/api/knowledge-bases/${kb.id}/search`)
      .set(api.headers)
      .send({ query: 'zebras', mode: 'keyword' })
      .expect(200);
    expect(res.body.results[0]).toMatchObject({ keywordRank: 1, vectorRank: null });
    expect(res.body.results[0].keywordScore).toBeGreaterThan(0);
  });
});
