/**
 * Races and leaks from the code review (issue #11), each on the real PostgreSQL, Redis and app:
 * versions of one file name, a job that gets its document's lock after another worker finished it,
 * advisory locks held and released on one connection, and knowledge-base deletion that answers at once
 * and purges in the background (finished by the reconciler when interrupted).
 */
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { ADVISORY_LOCK, withAdvisoryLock } from '../../src/database/advisory-lock';
import { buildDataSourceOptions } from '../../src/database/database-options';
import { preparePostgres } from '../../src/database/migrate';
import { IngestionPipelineService } from '../../src/ingestion/ingestion-pipeline.service';
import { IngestionReconcilerService } from '../../src/ingestion/ingestion-reconciler.service';
import { KnowledgeBaseRepository } from '../../src/knowledge-bases/knowledge-base.repository';
import { eventually } from '../support/eventually';
import { startTestApp, TestApp } from '../support/test-app';
import { IngestionClient } from './support/ingestion-client';

describe('races: versions, document locks, advisory locks, knowledge-base deletion', () => {
  let t: TestApp;
  let api: IngestionClient;
  let pg: Client;

  beforeAll(async () => {
    t = await startTestApp();
    api = await IngestionClient.signIn(t);
    pg = new Client({ connectionString: t.config.databaseUrl });
    await pg.connect();
  });
  afterEach(() => t.fake.reset());
  afterAll(async () => {
    await pg?.end();
    await t?.close();
  });

  const count = async (sql: string, params: unknown[]): Promise<number> =>
    (await pg.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`, params)).rows[0].n;

  it('gives concurrent uploads of one file name distinct versions, and only the newest stays', async () => {
    const kb = await api.createKnowledgeBase();
    const uploads = await Promise.all(
      [1, 2, 3, 4, 5].map((n) =>
        api.uploadOk(kb.id, [{ name: 'handbook.txt', data: Buffer.from(`Edition ${n} of the handbook.`) }]),
      ),
    );
    const ids = uploads.map(([doc]) => doc.id);
    const versions = (
      await pg.query<{ version: number }>(`SELECT version FROM documents WHERE id = ANY($1::uuid[])`, [ids])
    ).rows.map((r) => r.version);
    expect(new Set(versions).size).toBe(5);

    // However they finish, one version of the file is left: the newest.
    await eventually(async () => {
      const left = (
        await pg.query<{ version: number; status: string }>(
          `SELECT version, status FROM documents WHERE knowledge_base_id = $1 AND filename = 'handbook.txt'`,
          [kb.id],
        )
      ).rows;
      expect(left).toEqual([{ version: Math.max(...versions), status: 'ready' }]);
    }, 60_000);
  });

  it('a job that gets its document only after another worker finished it leaves the document alone', async () => {
    const kb = await api.createKnowledgeBase();
    const [doc] = await api.uploadOk(kb.id, [{ name: 'once.txt', data: Buffer.from('Processed exactly once.') }]);
    const ready = await api.waitFor(doc.id);
    expect(ready.status).toBe('ready');
    // Another worker is still finishing this document: it holds the lock while the status is not final yet.
    await pg.query(`UPDATE documents SET status = 'embedding' WHERE id = $1`, [doc.id]);
    const other = new Client({ connectionString: t.config.databaseUrl });
    await other.connect();
    try {
      await other.query(`SELECT pg_advisory_lock($1, hashtext($2))`, [ADVISORY_LOCK.document, doc.id]);
      const embedsBefore = t.fake.counts.requestsByRoute['POST /api/embed'] ?? 0;
      const late = t.app
        .get(IngestionPipelineService)
        .ingest({ documentId: doc.id, run: 1, attemptsMade: 0, attempts: 1 });
      await new Promise((r) => setTimeout(r, 300));
      // The other worker finishes and lets go.
      await pg.query(`UPDATE documents SET status = 'ready' WHERE id = $1`, [doc.id]);
      await other.query(`SELECT pg_advisory_unlock($1, hashtext($2))`, [ADVISORY_LOCK.document, doc.id]);

      await expect(late).resolves.toBe('skipped');
      expect(await api.document(doc.id)).toMatchObject({ status: 'ready', chunkCount: 1, progress: 100 });
      expect(t.fake.counts.requestsByRoute['POST /api/embed'] ?? 0).toBe(embedsBefore);
    } finally {
      await other.end();
    }
  });

  it('a job whose document stays locked by another worker backs off (DOCUMENT_BUSY) without touching it', async () => {
    const kb = await api.createKnowledgeBase();
    const [doc] = await api.uploadOk(kb.id, [{ name: 'busy.txt', data: Buffer.from('Someone else has it.') }]);
    await api.waitFor(doc.id);
    const other = new Client({ connectionString: t.config.databaseUrl });
    await other.connect();
    try {
      await other.query(`SELECT pg_advisory_lock($1, hashtext($2))`, [ADVISORY_LOCK.document, doc.id]);
      await expect(
        t.app.get(IngestionPipelineService).ingest({ documentId: doc.id, run: 1, attemptsMade: 0, attempts: 1 }),
      ).rejects.toMatchObject({ code: 'DOCUMENT_BUSY' });
    } finally {
      await other.end();
    }
    expect((await api.document(doc.id)).status).toBe('ready');
  });

  it('holds an advisory lock on one connection and releases it on that same connection', async () => {
    // A pool of 2 with both connections busy in `work`: a pooled unlock could land on the other one.
    const db = new DataSource({ ...buildDataSourceOptions(t.config.databaseUrl), extra: { max: 3 } });
    await db.initialize();
    try {
      const lockRows = (): Promise<Array<{ pid: number }>> =>
        pg
          .query<{ pid: number }>(
            `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = $1 AND objid::int = hashtext('race-test')`,
            [ADVISORY_LOCK.knowledgeBasePurge],
          )
          .then((r) => r.rows);
      await withAdvisoryLock(db, ADVISORY_LOCK.knowledgeBasePurge, 'race-test', 'wait', async (lockConnection) => {
        const [{ pid }] = await lockConnection.query(`SELECT pg_backend_pid() AS pid`);
        await Promise.all([db.query('SELECT pg_sleep(0.05)'), db.query('SELECT pg_sleep(0.05)')]);
        expect(await lockRows()).toEqual([{ pid }]);
      });
      expect(await lockRows()).toEqual([]);
    } finally {
      await db.destroy();
    }
  });

  it('serialises concurrent migration runs and leaves no migration lock behind', async () => {
    await expect(
      Promise.all([1, 2, 3].map(() => preparePostgres(t.config.databaseUrl, { migrate: true }))),
    ).resolves.toEqual([[], [], []]);
    expect(await count(`pg_locks WHERE locktype = 'advisory' AND classid = $1`, [ADVISORY_LOCK.migrations])).toBe(0);
  });

  it('deletes a big knowledge base with 202 at once (gone from lists and routes) and purges it in the background', async () => {
    const kb = await api.createKnowledgeBase();
    const [doc] = await api.uploadOk(kb.id, [{ name: 'seed.txt', data: Buffer.from('The seed document.') }]);
    await api.waitFor(doc.id);
    // 200 more documents with 20,000 chunks between them, written the way a large knowledge base holds them.
    await pg.query(
      `INSERT INTO documents (id, knowledge_base_id, filename, mime_type, size_bytes, sha256, storage_key, status, live_run)
       SELECT gen_random_uuid(), $1, 'bulk-' || n || '.txt', 'text/plain', 1, md5(random()::text) || md5(random()::text),
              'uploads/' || gen_random_uuid(), 'ready', 1
         FROM generate_series(1, 200) n`,
      [kb.id],
    );
    await pg.query(
      `INSERT INTO chunks (document_id, knowledge_base_id, ordinal, content, ingest_run)
       SELECT d.id, d.knowledge_base_id, n, 'bulk passage ' || n, 1
         FROM documents d CROSS JOIN generate_series(0, 99) n WHERE d.knowledge_base_id = $1 AND d.filename LIKE 'bulk-%'`,
      [kb.id],
    );

    const res = await api.delete(`/api/knowledge-bases/${kb.id}`);
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ id: kb.id, deleted: true });
    expect((await api.get(`/api/knowledge-bases/${kb.id}`)).status).toBe(404);
    expect((await api.get(`/api/knowledge-bases/${kb.slug}`)).status).toBe(404);
    expect((await api.get('/api/knowledge-bases')).body.map((k: { id: string }) => k.id)).not.toContain(kb.id);
    expect((await api.get(`/api/documents/${doc.id}`)).status).toBe(404);
    // Its name is free again at once.
    const again = await api.post('/api/knowledge-bases').send({ name: kb.slug });
    expect(again.status).toBe(201);

    await eventually(async () => {
      expect(await count(`chunks WHERE knowledge_base_id = $1`, [kb.id])).toBe(0);
      expect(await count(`documents WHERE knowledge_base_id = $1`, [kb.id])).toBe(0);
      expect(await count(`knowledge_bases WHERE id = $1`, [kb.id])).toBe(0);
    }, 60_000);
  });

  it('has the reconciler finish the purge of a knowledge base whose purge was interrupted', async () => {
    const kb = await api.createKnowledgeBase();
    const [doc] = await api.uploadOk(kb.id, [{ name: 'left.txt', data: Buffer.from('Left behind by a crash.') }]);
    await api.waitFor(doc.id);
    // Marked deleted, then the process died before purging.
    expect(await t.app.get(KnowledgeBaseRepository).markDeleted(kb.id)).toBe(true);
    expect((await api.get(`/api/knowledge-bases/${kb.id}`)).status).toBe(404);
    expect(await count(`chunks WHERE knowledge_base_id = $1`, [kb.id])).toBe(1);
    // Nothing of it is reachable meanwhile: not its passages, answers, documents or conversations.
    expect((await api.post(`/api/knowledge-bases/${kb.id}/search`).send({ query: 'crash' })).status).toBe(404);
    expect((await api.post(`/api/knowledge-bases/${kb.id}/ask`).send({ question: 'crash?' })).status).toBe(404);
    expect((await api.get(`/api/documents/${doc.id}/file`)).status).toBe(404);
    expect((await api.get(`/api/knowledge-bases/${kb.id}/conversations`)).status).toBe(404);

    await t.app.get(IngestionReconcilerService).reconcile();

    expect(await count(`chunks WHERE knowledge_base_id = $1`, [kb.id])).toBe(0);
    expect(await count(`documents WHERE knowledge_base_id = $1`, [kb.id])).toBe(0);
    expect(await count(`knowledge_bases WHERE id = $1`, [kb.id])).toBe(0);
  });
});
