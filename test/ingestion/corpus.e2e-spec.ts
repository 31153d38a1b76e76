import * as fs from 'node:fs';
import * as path from 'node:path';
import { PDFParse } from 'pdf-parse';
import { DataSource } from 'typeorm';
import { segmentForKeywords } from '../../src/common/text/keyword-segmenter';
import { vectorIndexName } from '../../src/documents/chunk.repository';
import { startTestApp, TestApp } from '../support/test-app';
import { ChunkBody, CORPUS_DIR, DocumentBody, IngestionClient } from './support/ingestion-client';

/** Two Chinese characters with spaces between them on one line (a line or paragraph break is structure, not a space). */
const CJK_GAP = /([\u3400-\u4dbf\u4e00-\u9fff])[ \t\u3000]+(?=([\u3400-\u4dbf\u4e00-\u9fff]))/gu;

/** What pdf-parse itself reads, page by page: the reference for "text the PDF had". */
async function rawPages(file: string): Promise<string[]> {
  const cmaps = path.join(path.dirname(require.resolve('pdfjs-dist/package.json')), 'cmaps') + path.sep;
  const parser = new PDFParse({ data: fs.readFileSync(file), cMapUrl: cmaps, cMapPacked: true });
  try {
    return (await parser.getText({ pageJoiner: '' })).pages.map((p) => p.text);
  } finally {
    await parser.destroy();
  }
}

/**
 * Every PDF of the shared corpus, through the real API, queue, worker, fake Ollama and PostgreSQL.
 * refman.pdf (2415 pages) is included; on a loaded 2-core machine it dominates this file's run time.
 */
describe('Ingesting the corpus PDFs', () => {
  let t: TestApp;
  let api: IngestionClient;
  let db: DataSource;
  let knowledgeBaseId: string;
  const docs = new Map<string, DocumentBody>();
  const chunks = new Map<string, ChunkBody[]>();
  const pdfs = fs.readdirSync(CORPUS_DIR).filter((f) => f.endsWith('.pdf'));

  beforeAll(async () => {
    t = await startTestApp();
    api = await IngestionClient.signIn(t);
    db = new DataSource({ type: 'postgres', url: process.env.DATABASE_URL });
    await db.initialize();
    knowledgeBaseId = (await api.createKnowledgeBase({ name: '语料 corpus' })).id;
    const uploaded = await api.uploadOk(
      knowledgeBaseId,
      pdfs.map((name) => ({ name, data: fs.readFileSync(path.join(CORPUS_DIR, name)) })),
    );
    for (const doc of uploaded) {
      const done = await api.waitFor(doc.id, undefined, 400_000);
      docs.set(doc.filename, done);
      chunks.set(doc.filename, await api.allChunks(doc.id));
    }
  }, 600_000);

  afterAll(async () => {
    await db?.destroy();
    await t?.close();
  });

  it('finds the six corpus PDFs', () => {
    expect(pdfs.sort()).toEqual([
      'R-data.pdf',
      'R-intro.pdf',
      'install-latex-guide-zh-cn.pdf',
      'latex-notes-zh-cn.pdf',
      'refman.pdf',
      'zhlipsum.pdf',
    ]);
  });

  it('brings every PDF to ready with page-numbered chunks', () => {
    const expectedPages: Record<string, number> = {
      'R-intro.pdf': 113,
      'R-data.pdf': 41,
      'refman.pdf': 2415,
      'install-latex-guide-zh-cn.pdf': 56,
      'latex-notes-zh-cn.pdf': 107,
      'zhlipsum.pdf': 15,
    };
    for (const name of pdfs) {
      const doc = docs.get(name)!;
      expect({ name, status: doc.status, error: doc.error, pageCount: doc.pageCount }).toEqual({
        name,
        status: 'ready',
        error: null,
        pageCount: expectedPages[name],
      });
      const list = chunks.get(name)!;
      expect(list.length).toBe(doc.chunkCount);
      expect(list.length).toBeGreaterThan(0);
      for (const chunk of list) {
        expect(chunk.pageFrom).toBeGreaterThanOrEqual(1);
        expect(chunk.pageTo).toBeGreaterThanOrEqual(chunk.pageFrom!);
        expect(chunk.pageTo).toBeLessThanOrEqual(doc.pageCount!);
      }
      expect(list.map((c) => c.ordinal)).toEqual(list.map((_, i) => i));
    }
  });

  it('keeps the page of a known passage', () => {
    const hit = chunks
      .get('R-intro.pdf')!
      .find((c) => c.content.includes('The entities that R creates and manipulates are known as objects'));
    expect(hit).toBeDefined();
    expect(hit!.pageFrom).toBeLessThanOrEqual(12);
    expect(hit!.pageTo).toBeGreaterThanOrEqual(12);
    expect(hit!.title).toContain('1.11 Data permanency and removing objects');
  });

  it('puts no space between two Chinese characters that the PDF did not have', async () => {
    for (const name of ['install-latex-guide-zh-cn.pdf', 'latex-notes-zh-cn.pdf', 'zhlipsum.pdf']) {
      const raw = (await rawPages(path.join(CORPUS_DIR, name))).map((p) => p.replace(/[\t ]+/g, ' '));
      const offenders: string[] = [];
      for (const chunk of chunks.get(name)!) {
        for (const match of chunk.content.matchAll(CJK_GAP)) {
          const pair = `${match[1]} ${match[2]}`;
          const pages = raw.slice(chunk.pageFrom! - 1, chunk.pageTo!);
          if (!pages.some((p) => p.includes(pair))) offenders.push(`${name} p${chunk.pageFrom}: "${pair}"`);
        }
      }
      expect(offenders).toEqual([]);
      // …and Chinese text really arrived (cmaps work).
      expect(chunks.get(name)!.some((c) => /[\u4e00-\u9fff]{10}/u.test(c.content))).toBe(true);
    }
  });

  it("never carries R-intro.pdf's running header into a chunk", async () => {
    const raw = await rawPages(path.join(CORPUS_DIR, 'R-intro.pdf'));
    const headers = new Set<string>();
    for (const page of raw) {
      const first = page.split('\n')[0].trim();
      if (/^(Chapter \d+|Appendix [A-Z]): .+ \d+$/.test(first)) headers.add(first);
    }
    expect(headers.size).toBeGreaterThan(20);
    const leaks = chunks.get('R-intro.pdf')!.filter((c) => [...headers].some((h) => c.content.includes(h)));
    expect(leaks.map((c) => c.content.slice(0, 80))).toEqual([]);
  });

  it("never carries latex-notes-zh-cn.pdf's table-of-contents header, numbered in Roman numerals", () => {
    // Its front matter heads pages "vi 目 录" and "目 录 vii"; the TOC's own title "目 录" may stay.
    const leaks = chunks
      .get('latex-notes-zh-cn.pdf')!
      .filter((c) => /\b[ivxl]+\s*目\s*录|目\s*录\s*[ivxl]+\b/.test(c.content));
    expect(leaks.map((c) => c.content.slice(0, 80))).toEqual([]);
  });

  it('stores vectors of the model dimension and keyword vectors that find Chinese words', async () => {
    const [{ dims, missing }] = await db.query(
      `SELECT array_agg(DISTINCT embedding_dims) AS dims, count(*) FILTER (WHERE embedding IS NULL OR search_vector IS NULL)::int AS missing
         FROM chunks WHERE knowledge_base_id = $1`,
      [knowledgeBaseId],
    );
    expect(dims).toEqual([1024]);
    expect(missing).toBe(0);
    const [{ hits }] = await db.query(
      `SELECT count(*)::int AS hits FROM chunks WHERE knowledge_base_id = $1 AND search_vector @@ plainto_tsquery('english', $2)`,
      [knowledgeBaseId, segmentForKeywords('插图')],
    );
    expect(hits).toBeGreaterThan(0);
  });

  it('has vector search use the HNSW index (EXPLAIN)', async () => {
    await db.query('ANALYZE chunks'); // as autovacuum would after a large ingest
    const [{ embedding }] = await db.query(
      `SELECT embedding::text AS embedding FROM chunks WHERE knowledge_base_id = $1 LIMIT 1`,
      [knowledgeBaseId],
    );
    // A few hundred passages are cheaper to scan exactly, and the planner rightly says so; pricing the
    // sort out shows that the HNSW index matches the search's expression and predicate.
    const plan: Array<{ 'QUERY PLAN': string }> = await db.transaction(async (tx) => {
      await tx.query('SET LOCAL enable_sort = off');
      return tx.query(
        `EXPLAIN SELECT id FROM chunks
          WHERE embedding_dims = 1024 AND knowledge_base_id = '${knowledgeBaseId}'::uuid
          ORDER BY (embedding::halfvec(1024)) <=> $1::halfvec(1024) LIMIT 10`,
        [embedding],
      );
    });
    // Over VECTOR_INDEX_MIN_CHUNKS (refman.pdf alone has ~3,200), so ingestion built the knowledge base's index.
    expect(plan.map((r) => r['QUERY PLAN']).join('\n')).toContain(vectorIndexName(knowledgeBaseId));
  });
});
