import * as fs from 'node:fs';
import * as path from 'node:path';
import { DataSource } from 'typeorm';
import { vectorIndexName } from '../../src/documents/chunk.repository';
import { IngestionReconcilerService } from '../../src/ingestion/ingestion-reconciler.service';
import { startTestApp, TestApp } from '../support/test-app';
import { CORPUS_DIR, IngestionClient } from './support/ingestion-client';

/** A knowledge base gets its HNSW index when it grows past VECTOR_INDEX_MIN_CHUNKS (30 here). */
describe('Per-knowledge-base vector indexes', () => {
  let t: TestApp;
  let api: IngestionClient;
  let db: DataSource;

  const indexState = async (knowledgeBaseId: string): Promise<'missing' | 'valid' | 'invalid'> => {
    const [row] = await db.query(
      `SELECT i.indisvalid AS valid FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid WHERE c.relname = $1`,
      [vectorIndexName(knowledgeBaseId)],
    );
    return !row ? 'missing' : row.valid ? 'valid' : 'invalid';
  };
  const searchTop = async (knowledgeBaseId: string, query: string): Promise<string> => {
    const res = await api
      .post(`/api/knowledge-bases/${knowledgeBaseId}/search`)
      .send({ query, mode: 'vector', topK: 1, minScore: 0 })
      .expect(200);
    return res.body.results[0]?.content ?? '';
  };
  const ingest = async (knowledgeBaseId: string, name: string, data: Buffer): Promise<void> => {
    const [doc] = await api.uploadOk(knowledgeBaseId, [{ name, data }]);
    const done = await api.waitFor(doc.id);
    expect({ name, status: done.status, error: done.error }).toEqual({ name, status: 'ready', error: null });
  };

  beforeAll(async () => {
    t = await startTestApp({ env: { VECTOR_INDEX_MIN_CHUNKS: '30' } });
    api = await IngestionClient.signIn(t);
    db = new DataSource({ type: 'postgres', url: process.env.DATABASE_URL });
    await db.initialize();
  });

  afterAll(async () => {
    await db?.destroy();
    await t?.close();
  });

  it('searches a small knowledge base exactly, and builds its index once it is large enough', async () => {
    const kb = await api.createKnowledgeBase();
    await ingest(kb.id, 'note.txt', Buffer.from('The heron stands in the shallow river at dawn.\n\nIt waits.'));
    expect(await indexState(kb.id)).toBe('missing');
    expect(await searchTop(kb.id, 'heron river dawn')).toContain('heron');

    await ingest(kb.id, 'R-data.pdf', fs.readFileSync(path.join(CORPUS_DIR, 'R-data.pdf')));
    expect(await indexState(kb.id)).toBe('valid');
    const plan: Array<{ 'QUERY PLAN': string }> = await db.transaction(async (tx) => {
      await tx.query('SET LOCAL enable_sort = off');
      return tx.query(
        `EXPLAIN SELECT id FROM chunks WHERE knowledge_base_id = '${kb.id}'::uuid AND embedding_dims = 1024
          ORDER BY (embedding::halfvec(1024)) <=> (SELECT embedding FROM chunks LIMIT 1)::halfvec(1024) LIMIT 5`,
      );
    });
    expect(plan.map((r) => r['QUERY PLAN']).join('\n')).toContain(`Index Scan using ${vectorIndexName(kb.id)}`);

    // Later documents join the index as they are written, and are found through it.
    await ingest(kb.id, 'later.txt', Buffer.from('A kingfisher dives for minnows under the willow.'));
    expect(await searchTop(kb.id, 'kingfisher dives minnows willow')).toContain('kingfisher');
    expect(await searchTop(kb.id, 'heron river dawn')).toContain('heron');
  });

  it('drops the index with its knowledge base', async () => {
    const kb = await api.createKnowledgeBase();
    await ingest(kb.id, 'R-data.pdf', fs.readFileSync(path.join(CORPUS_DIR, 'R-data.pdf')));
    expect(await indexState(kb.id)).toBe('valid');
    await api.delete(`/api/knowledge-bases/${kb.id}`).expect(202);
    const deadline = Date.now() + 30_000;
    while ((await indexState(kb.id)) !== 'missing' && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    expect(await indexState(kb.id)).toBe('missing');
  });

  it('has the reconciler rebuild a lost index and drop one whose knowledge base is gone', async () => {
    const kb = await api.createKnowledgeBase();
    await ingest(kb.id, 'R-data.pdf', fs.readFileSync(path.join(CORPUS_DIR, 'R-data.pdf')));
    await db.query(`DROP INDEX ${vectorIndexName(kb.id)}`);
    const orphanId = '0b1d2c3e-4f50-4a61-8b72-9c83d4e5f607';
    await db.query(
      `CREATE INDEX ${vectorIndexName(orphanId)} ON chunks USING hnsw ((embedding::halfvec(1024)) halfvec_cosine_ops)
        WHERE knowledge_base_id = '${orphanId}'::uuid AND embedding_dims = 1024`,
    );

    await t.app.get(IngestionReconcilerService).reconcile();

    expect(await indexState(kb.id)).toBe('valid');
    expect(await indexState(orphanId)).toBe('missing');
  });
});
