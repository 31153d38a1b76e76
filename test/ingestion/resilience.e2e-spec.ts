import * as fs from 'node:fs';
import * as path from 'node:path';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { startTestApp, TestApp } from '../support/test-app';
import { openEventStream } from './support/event-stream';
import { ChunkBody, CORPUS_DIR, IngestionClient } from './support/ingestion-client';
import { startSplitDeployment } from './support/split-deployment';

/** The Redis logical database this file may flush (other test files use db 0 under their own prefixes). */
const FLUSHABLE_REDIS_URL = 'redis://127.0.0.1:6379/5';

const comparable = (chunks: ChunkBody[]): unknown[] =>
  chunks.map((c) => [c.ordinal, c.title, c.content, c.pageFrom, c.pageTo]);

describe('Crashes and lost queues', () => {
  let db: DataSource;

  beforeAll(async () => {
    db = new DataSource({ type: 'postgres', url: process.env.DATABASE_URL });
    await db.initialize();
  });
  afterAll(() => db?.destroy());

  const assertNoDuplicates = async (documentId: string, expected: number): Promise<void> => {
    const [row] = await db.query(
      `SELECT count(*)::int AS total, count(DISTINCT ordinal)::int AS ordinals, count(DISTINCT md5(content))::int AS contents,
              count(*) FILTER (WHERE embedding IS NULL)::int AS unembedded
         FROM chunks WHERE document_id = $1`,
      [documentId],
    );
    expect(row).toMatchObject({ total: expected, ordinals: expected, unembedded: 0 });
  };

  it('a worker process killed with SIGKILL mid-document: the next one ends it ready with exactly the chunks of a clean run', async () => {
    const deployment = await startSplitDeployment('kill', { EMBED_BATCH_SIZE: '8', INGESTION_RECONCILE_SEC: '2' });
    const { fake, api } = deployment;
    try {
      const client = await IngestionClient.signIn(api);
      const settings = { chunkSize: 100, chunkOverlap: 20 };
      const kb = await client.createKnowledgeBase(settings);
      const data = fs.readFileSync(path.join(CORPUS_DIR, 'R-data.pdf'));
      const stream = await openEventStream(`${api.url}/api/knowledge-bases/${kb.id}/events`, client.headers);

      fake.configure({ embedLatencyMs: 300 });
      const [doc] = await client.uploadOk(kb.id, [{ name: 'R-data.pdf', data }]);
      const midway = await client.waitFor(doc.id, (d) => d.status === 'embedding' && d.chunkCount >= 30, 90_000);
      await deployment.worker.kill('SIGKILL');
      const [{ stored }] = await db.query(`SELECT count(*)::int AS stored FROM chunks WHERE document_id = $1`, [
        doc.id,
      ]);
      expect(stored).toBeGreaterThan(0);
      expect((await client.document(doc.id)).status).toBe('embedding');

      // The events stream of the API process showed the other process's progress.
      const seen = stream.events.filter((e) => e.data.document?.id === doc.id).map((e) => e.data.document.status);
      expect(seen).toEqual(expect.arrayContaining(['queued', 'parsing', 'chunking', 'embedding']));

      fake.configure({ embedLatencyMs: 0 });
      await deployment.startWorker();
      // The stalled job goes to the new worker once the dead one's lock expires (≤ 30 s) and a stalled check runs.
      const ready = await client.waitFor(doc.id, undefined, 150_000);
      expect(ready.status).toBe('ready');
      await stream.waitFor((e) => e.data.document?.id === doc.id && e.data.document.status === 'ready', 10_000);
      stream.close();
      const recovered = await client.allChunks(doc.id);
      expect(recovered.length).toBe(ready.chunkCount);
      expect(recovered.length).toBeGreaterThan(midway.chunkCount);
      await assertNoDuplicates(doc.id, ready.chunkCount);

      // A clean run of the same file with the same settings, for comparison.
      const cleanKb = await client.createKnowledgeBase(settings);
      const [clean] = await client.uploadOk(cleanKb.id, [{ name: 'R-data.pdf', data }]);
      await client.waitFor(clean.id);
      expect(comparable(recovered)).toEqual(comparable(await client.allChunks(clean.id)));
    } finally {
      await deployment.close();
    }
  }, 300_000);

  it('Redis flushed mid-way: the reconciler re-enqueues the lost jobs and every document ends ready', async () => {
    let t: TestApp | undefined;
    const redis = new Redis(FLUSHABLE_REDIS_URL);
    try {
      t = await startTestApp({
        env: {
          REDIS_URL: FLUSHABLE_REDIS_URL,
          INGESTION_CONCURRENCY: '1',
          INGESTION_RECONCILE_SEC: '2',
          EMBED_BATCH_SIZE: '8',
        },
      });
      const client = await IngestionClient.signIn(t);
      const kb = await client.createKnowledgeBase({ chunkSize: 100, chunkOverlap: 0 });
      t.fake.configure({ embedLatencyMs: 200 });
      const docs = await client.uploadOk(kb.id, [
        { name: 'R-data.pdf', data: fs.readFileSync(path.join(CORPUS_DIR, 'R-data.pdf')) },
        { name: 'second.txt', data: Buffer.from('The second document waits in the queue.') },
        { name: 'third.md', data: Buffer.from('# Third\n\nAlso waiting.') },
      ]);
      await client.waitFor(docs[0].id, (d) => d.status === 'embedding', 60_000);
      expect((await client.document(docs[1].id)).status).toBe('queued');

      await redis.flushdb();
      expect(await redis.dbsize()).toBe(0);
      t.fake.configure({ embedLatencyMs: 0 });

      for (const doc of docs) {
        const done = await client.waitFor(doc.id, undefined, 90_000);
        expect({ filename: done.filename, status: done.status }).toEqual({ filename: doc.filename, status: 'ready' });
        await assertNoDuplicates(doc.id, done.chunkCount);
      }
    } finally {
      await t?.close();
      await redis.flushdb();
      redis.disconnect();
    }
  }, 180_000);
});
