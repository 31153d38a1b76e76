import * as fs from 'node:fs';
import * as path from 'node:path';
import { DataSource } from 'typeorm';
import { eventually } from '../support/eventually';
import { startTestApp, TestApp } from '../support/test-app';
import { openEventStream } from './support/event-stream';
import { CORPUS_DIR, IngestionClient } from './support/ingestion-client';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('Knowledge bases and the life of a document', () => {
  let t: TestApp;
  let api: IngestionClient;
  let db: DataSource;

  beforeAll(async () => {
    t = await startTestApp();
    api = await IngestionClient.signIn(t);
    db = new DataSource({ type: 'postgres', url: process.env.DATABASE_URL });
    await db.initialize();
  });
  afterEach(() => t.fake.reset());
  afterAll(async () => {
    await db?.destroy();
    await t?.close();
  });

  const storedFiles = (): string[] => {
    const dir = path.join(t.config.dataDir, 'uploads');
    return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
  };
  const rowsOf = async (
    table: 'chunks' | 'documents' | 'knowledge_bases',
    column: string,
    id: string,
  ): Promise<number> => (await db.query(`SELECT count(*)::int AS n FROM ${table} WHERE ${column} = $1`, [id]))[0].n;

  describe('knowledge bases', () => {
    it('records the embedding model, its dimension and context from Ollama, and a stable slug', async () => {
      const res = await api.post('/api/knowledge-bases').send({ name: 'R Manuals 2024', description: 'docs' });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        slug: 'r-manuals-2024',
        embeddingModel: 'bge-m3',
        embeddingDimension: 1024,
        embeddingContextLength: 8192,
        chunkSize: 400,
        chunkOverlap: 60,
        documentCount: 0,
        chunkCount: 0,
      });
      const renamed = await api.patch(`/api/knowledge-bases/${res.body.id}`).send({ name: 'Renamed', chunkSize: 300 });
      expect(renamed.body).toMatchObject({ name: 'Renamed', slug: 'r-manuals-2024', chunkSize: 300 });
      const bySlug = await api.get('/api/knowledge-bases/r-manuals-2024');
      expect(bySlug.body.id).toBe(res.body.id);
      const again = await api.post('/api/knowledge-bases').send({ name: 'R Manuals 2024' });
      expect(again.body.slug).toMatch(/^r-manuals-2024-[0-9a-f]{6}$/);
    });

    it('gives a Chinese name an ASCII slug and takes a model of another dimension', async () => {
      const res = await api.post('/api/knowledge-bases').send({ name: '知识库', embeddingModel: 'all-minilm' });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        name: '知识库',
        slug: expect.stringMatching(/^kb-[0-9a-f]{6}$/),
        embeddingDimension: 384,
        embeddingContextLength: 512,
      });
      const [doc] = await api.uploadOk(res.body.id, [{ name: 'a.md', data: Buffer.from('# 标题\n\n小模型也能用。') }]);
      expect((await api.waitFor(doc.id)).status).toBe('ready');
      const [{ dims }] = await db.query(
        `SELECT array_agg(DISTINCT embedding_dims) AS dims FROM chunks WHERE document_id = $1`,
        [doc.id],
      );
      expect(dims).toEqual([384]);
    });

    it('explains a missing model (422) or an unreachable Ollama (503), with the fix', async () => {
      t.fake.configure({ missingModels: ['nomic-embed-text:latest'] });
      const missing = await api.post('/api/knowledge-bases').send({ name: 'x', embeddingModel: 'nomic-embed-text' });
      expect(missing.status).toBe(422);
      expect(missing.body).toMatchObject({
        error: 'OLLAMA_MODEL_NOT_FOUND',
        message: expect.stringContaining('ollama pull nomic-embed-text'),
      });

      const chat = await api.post('/api/knowledge-bases').send({ name: 'x', embeddingModel: 'qwen2.5:7b' });
      expect(chat.status).toBe(400);
      expect(chat.body.error).toBe('NOT_AN_EMBEDDING_MODEL');

      const down = await startTestApp({ env: { OLLAMA_BASE_URL: 'http://127.0.0.1:9' } });
      try {
        const client = await IngestionClient.signIn(down);
        const res = await client.post('/api/knowledge-bases').send({ name: 'x' });
        expect(res.status).toBe(503);
        expect(res.body).toMatchObject({
          error: 'OLLAMA_UNAVAILABLE',
          message: expect.stringContaining('OLLAMA_BASE_URL'),
        });
      } finally {
        await down.close();
      }
    });

    it('validates its input', async () => {
      for (const body of [
        {},
        { name: '' },
        { name: 'x', chunkSize: 10 },
        { name: 'x', chunkSize: 100, chunkOverlap: 80 },
        { name: 'x', bogus: 1 },
      ]) {
        const res = await api.post('/api/knowledge-bases').send(body);
        expect({ body, status: res.status }).toEqual({ body, status: 400 });
      }
      expect((await api.get('/api/knowledge-bases/no-such-kb')).status).toBe(404);
    });

    it('lists document and chunk counts, and deletion removes every document, vector and file', async () => {
      const kb = await api.createKnowledgeBase();
      const docs = await api.uploadOk(kb.id, [
        { name: 'one.txt', data: Buffer.from('First document.') },
        { name: 'two.txt', data: Buffer.from('Second document.') },
      ]);
      await Promise.all(docs.map((d) => api.waitFor(d.id)));
      const list = await api.get('/api/knowledge-bases');
      expect(list.body.find((k: { id: string }) => k.id === kb.id)).toMatchObject({ documentCount: 2, chunkCount: 2 });
      const filesBefore = storedFiles().length;

      // Gone for everyone at once (202); its rows and files are purged in the background.
      expect((await api.delete(`/api/knowledge-bases/${kb.id}`)).status).toBe(202);
      expect((await api.get(`/api/knowledge-bases/${kb.id}`)).status).toBe(404);
      expect((await api.get('/api/knowledge-bases')).body.map((k: { id: string }) => k.id)).not.toContain(kb.id);
      await eventually(async () => {
        expect(await rowsOf('documents', 'knowledge_base_id', kb.id)).toBe(0);
        expect(await rowsOf('chunks', 'knowledge_base_id', kb.id)).toBe(0);
        expect(await rowsOf('knowledge_bases', 'id', kb.id)).toBe(0);
        expect(storedFiles().length).toBe(filesBefore - 2);
      });
    });
  });

  it('keeps the old version searchable until the new one is ready, then swaps them at once', async () => {
    const kb = await api.createKnowledgeBase();
    const [v1] = await api.uploadOk(kb.id, [
      { name: 'handbook.txt', data: Buffer.from('Version one says the office opens at nine.') },
    ]);
    await api.waitFor(v1.id);

    t.fake.configure({ embedLatencyMs: 1500 });
    const [v2] = await api.uploadOk(kb.id, [
      { name: 'handbook.txt', data: Buffer.from('Version two says the office opens at ten.') },
    ]);
    expect(v2.duplicate).toBe(false);
    await api.waitFor(v2.id, (d) => d.status === 'embedding');
    // Meanwhile the old version is still ready with its chunks.
    expect((await api.document(v1.id)).status).toBe('ready');
    expect((await api.allChunks(v1.id)).map((c) => c.content)).toEqual(['Version one says the office opens at nine.']);
    t.fake.configure({ embedLatencyMs: 0 });

    const ready = await api.waitFor(v2.id);
    expect(ready).toMatchObject({ status: 'ready', version: 2 });
    expect((await api.get(`/api/documents/${v1.id}`)).status).toBe(404);
    expect(await rowsOf('chunks', 'document_id', v1.id)).toBe(0);
    const list = await api.get(`/api/knowledge-bases/${kb.id}/documents`);
    expect(list.body.items.map((d: { id: string; version: number }) => [d.id, d.version])).toEqual([[v2.id, 2]]);
  });

  it('stops the work and leaves nothing behind when a document is deleted mid-processing', async () => {
    const kb = await api.createKnowledgeBase({ chunkSize: 100, chunkOverlap: 0 });
    t.fake.configure({ embedLatencyMs: 400 });
    const filesBefore = storedFiles().length;
    const [doc] = await api.uploadOk(kb.id, [
      { name: 'R-data.pdf', data: fs.readFileSync(path.join(CORPUS_DIR, 'R-data.pdf')) },
    ]);
    await api.waitFor(doc.id, (d) => d.status === 'embedding' && d.chunkCount > 0, 60_000);

    expect((await api.delete(`/api/documents/${doc.id}`)).status).toBe(204);
    const embedsAtDelete = t.fake.counts.requestsByRoute['POST /api/embed'] ?? 0;
    await sleep(2_500);
    expect(await rowsOf('documents', 'id', doc.id)).toBe(0);
    expect(await rowsOf('chunks', 'document_id', doc.id)).toBe(0);
    expect(storedFiles().length).toBe(filesBefore);
    // The job noticed: at most the batches already in flight were embedded after the delete.
    expect((t.fake.counts.requestsByRoute['POST /api/embed'] ?? 0) - embedsAtDelete).toBeLessThanOrEqual(10);
  });

  it('stops and cleans up when the whole knowledge base is deleted mid-processing', async () => {
    const kb = await api.createKnowledgeBase({ chunkSize: 100, chunkOverlap: 0 });
    t.fake.configure({ embedLatencyMs: 400 });
    const filesBefore = storedFiles().length;
    const [doc] = await api.uploadOk(kb.id, [
      { name: 'R-data.pdf', data: fs.readFileSync(path.join(CORPUS_DIR, 'R-data.pdf')) },
    ]);
    await api.waitFor(doc.id, (d) => d.status === 'embedding' && d.chunkCount > 0, 60_000);
    expect((await api.delete(`/api/knowledge-bases/${kb.id}`)).status).toBe(202);
    await eventually(async () => {
      expect(await rowsOf('chunks', 'knowledge_base_id', kb.id)).toBe(0);
      expect(await rowsOf('documents', 'knowledge_base_id', kb.id)).toBe(0);
      expect(storedFiles().length).toBe(filesBefore);
    });
    await sleep(1_000); // the job stopped too: nothing comes back
    expect(await rowsOf('chunks', 'knowledge_base_id', kb.id)).toBe(0);
  });

  it('waits for Ollama when it is busy, says so, and finishes when it is back', async () => {
    const kb = await api.createKnowledgeBase();
    t.fake.configure({ failWith503: true });
    const [doc] = await api.uploadOk(kb.id, [{ name: 'wait.txt', data: Buffer.from('Patience is a virtue.') }]);
    const waiting = await api.waitFor(doc.id, (d) => /Waiting for Ollama/.test(d.statusDetail ?? ''), 30_000);
    expect(waiting.status).toBe('embedding');
    expect(waiting.error).toBeNull();
    t.fake.configure({ failWith503: false });
    const ready = await api.waitFor(doc.id, undefined, 60_000);
    expect(ready).toMatchObject({ status: 'ready', statusDetail: null, chunkCount: 1 });
  });

  it('re-embeds an edited chunk and rebuilds its keyword index; a disabled chunk stays disabled', async () => {
    const kb = await api.createKnowledgeBase();
    const [doc] = await api.uploadOk(kb.id, [{ name: 'edit.txt', data: Buffer.from('The cat sat on the mat.') }]);
    await api.waitFor(doc.id);
    const [chunk] = await api.allChunks(doc.id);
    const before = (await db.query(`SELECT embedding::text AS e FROM chunks WHERE id = $1`, [chunk.id]))[0].e;

    const res = await api.patch(`/api/chunks/${chunk.id}`).send({ content: '猫坐在垫子上。', enabled: false });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: chunk.id, content: '猫坐在垫子上。', enabled: false });
    const [row] = await db.query(
      `SELECT embedding::text AS e, embedding_dims, search_vector @@ plainto_tsquery('english', '垫子') AS found FROM chunks WHERE id = $1`,
      [chunk.id],
    );
    expect(row.e).not.toBe(before);
    expect(row).toMatchObject({ embedding_dims: 1024, found: true });

    t.fake.configure({ failWith503: true });
    const down = await api.patch(`/api/chunks/${chunk.id}`).send({ content: 'never stored' });
    expect(down.status).toBe(503);
    expect((await api.allChunks(doc.id))[0].content).toBe('猫坐在垫子上。');
    t.fake.configure({ failWith503: false });

    expect((await api.patch(`/api/chunks/${chunk.id}`).send({ content: '   ' })).status).toBe(400);
    expect((await api.patch('/api/chunks/00000000-0000-4000-8000-000000000000').send({ enabled: true })).status).toBe(
      404,
    );
  });

  it('reindexes a document from its stored original', async () => {
    const kb = await api.createKnowledgeBase();
    const [doc] = await api.uploadOk(kb.id, [{ name: 'again.md', data: Buffer.from('# A\n\nOne.\n\n# B\n\nTwo.') }]);
    await api.waitFor(doc.id);
    const first = await api.allChunks(doc.id);
    const res = await api.post(`/api/documents/${doc.id}/reindex`);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ id: doc.id, status: 'queued', progress: 0 });
    const ready = await api.waitFor(doc.id);
    expect(ready.status).toBe('ready');
    const second = await api.allChunks(doc.id);
    expect(second.map((c) => [c.title, c.content])).toEqual(first.map((c) => [c.title, c.content]));
  });

  it('keeps a document searchable while it is reindexed, and after a reindex that fails', async () => {
    const kb = await api.createKnowledgeBase();
    const [doc] = await api.uploadOk(kb.id, [
      { name: 'heron.txt', data: Buffer.from('The heron stands in the river.') },
    ]);
    await api.waitFor(doc.id);
    const found = async (): Promise<string[]> => {
      const res = await api.post(`/api/knowledge-bases/${kb.id}/search`).send({ query: 'heron', mode: 'keyword' });
      expect(res.status).toBe(200);
      return res.body.results.map((r: { content: string }) => r.content);
    };
    expect(await found()).toEqual(['The heron stands in the river.']);

    t.fake.configure({ embedLatencyMs: 1500 });
    await api.post(`/api/documents/${doc.id}/reindex`).expect(202);
    await api.waitFor(doc.id, (d) => d.status === 'embedding');
    expect(await found()).toEqual(['The heron stands in the river.']);
    t.fake.configure({ embedLatencyMs: 0 });
    expect((await api.waitFor(doc.id)).status).toBe('ready');
    expect(await found()).toEqual(['The heron stands in the river.']);
    expect(await rowsOf('chunks', 'document_id', doc.id)).toBe(1);

    // The embedding model is gone: the reindex fails for good, the previous chunks keep answering.
    t.fake.configure({ missingModels: ['bge-m3'] });
    await api.post(`/api/documents/${doc.id}/reindex`).expect(202);
    const failed = await api.waitFor(doc.id);
    expect(failed).toMatchObject({ status: 'failed', chunkCount: 1, error: { code: 'OLLAMA_MODEL_NOT_FOUND' } });
    expect(await found()).toEqual(['The heron stands in the river.']);
  });

  it('lists documents by status and name, a page at a time', async () => {
    const kb = await api.createKnowledgeBase();
    const docs = await api.uploadOk(
      kb.id,
      ['alpha.txt', 'beta.txt', 'gamma_1.txt'].map((name) => ({ name, data: Buffer.from(`content of ${name}`) })),
    );
    await Promise.all(docs.map((d) => api.waitFor(d.id)));
    const page = await api.get(`/api/knowledge-bases/${kb.id}/documents?page=1&pageSize=2`);
    expect(page.body).toMatchObject({ total: 3, page: 1, pageSize: 2 });
    expect(page.body.items).toHaveLength(2);
    const byName = await api.get(`/api/knowledge-bases/${kb.id}/documents?q=${encodeURIComponent('A_1')}`);
    expect(byName.body.items.map((d: { filename: string }) => d.filename)).toEqual(['gamma_1.txt']);
    const failed = await api.get(`/api/knowledge-bases/${kb.id}/documents?status=failed`);
    expect(failed.body.total).toBe(0);
    expect((await api.get(`/api/knowledge-bases/${kb.id}/documents?status=nonsense`)).status).toBe(400);
    expect((await api.get(`/api/knowledge-bases/${kb.id}/documents?pageSize=100000`)).status).toBe(400);
  });

  it('streams status and progress as server-sent events', async () => {
    const kb = await api.createKnowledgeBase();
    const stream = await openEventStream(`${t.url}/api/knowledge-bases/${kb.id}/events`, api.headers);
    try {
      expect(stream.status).toBe(200);
      expect(stream.contentType).toContain('text/event-stream');
      await stream.waitFor((e) => e.event === 'snapshot');
      const [doc] = await api.uploadOk(kb.id, [{ name: 'live.txt', data: Buffer.from('Live progress.') }]);
      await stream.waitFor(
        (e) => e.event === 'document.updated' && e.data.document.id === doc.id && e.data.document.status === 'ready',
      );
      const statuses = stream.events.filter((e) => e.data.document?.id === doc.id).map((e) => e.data.document.status);
      expect(statuses[0]).toBe('queued');
      expect(statuses).toEqual(expect.arrayContaining(['parsing', 'chunking', 'embedding', 'ready']));
      expect(stream.events.at(-1)!.data.document).toMatchObject({ progress: 100, chunkCount: 1 });
    } finally {
      stream.close();
    }
    expect((await openEventStream(`${t.url}/api/knowledge-bases/no-such-kb/events`, api.headers)).status).toBe(404);
  });
});
