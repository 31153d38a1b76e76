import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ChunkRepository, vectorIndexName } from '../../src/documents/chunk.repository';
import { IngestionReconcilerService } from '../../src/ingestion/ingestion-reconciler.service';
import { FakeOllama } from '../fake-ollama/fake-ollama.server';
import { startTestApp, TestApp } from '../support/test-app';
import { openEventStream } from './support/event-stream';
import { DocumentBody, IngestionClient } from './support/ingestion-client';
import { docx, pdfWithUnicodeMap, textPdf } from './support/pdf-fixtures';

/** Words of raw PostgreSQL error text that must never reach what a user reads. */
const RAW_DATABASE_TEXT = /UTF8|0x00|byte sequence|SQLSTATE|deadlock detected|terminating connection|XX000|relation "/i;

/**
 * What real documents and a real database do, and what the user reads about it. Database failures are
 * real ones: a trigger (installed for these tests only) makes PostgreSQL itself raise the error a wild
 * document once caused, report a deadlock, or drop the worker's connection, when a document whose name
 * carries the fault's marker changes status.
 */
describe('Every ingestion failure is classified, and text is clean wherever it enters', () => {
  let fake: FakeOllama;
  let t: TestApp;
  let api: IngestionClient;
  let db: DataSource;

  /** Installs a fault; returns the marker to put in a file name and a reader of how often it fired. */
  const fault = async (options: {
    onStatus: string;
    /** A SQLSTATE to raise, or 'terminate' to drop the connection. */
    sqlState: string;
    message?: string;
    /** Fire only this many times (default: always). */
    times?: number;
  }): Promise<{ marker: string; hits: () => Promise<number> }> => {
    const marker = `fault${randomUUID().slice(0, 8)}`;
    await db.query(`CREATE SEQUENCE ${marker}_hits`);
    await db.query(
      `INSERT INTO zk_test_faults (marker, on_status, sql_state, message, times) VALUES ($1, $2, $3, $4, $5)`,
      [
        marker,
        options.onStatus,
        options.sqlState,
        options.message ?? 'a fault raised by the test',
        options.times ?? null,
      ],
    );
    return {
      marker,
      hits: async () => {
        const [{ n }] = await db.query(
          `SELECT CASE WHEN is_called THEN last_value ELSE 0 END::int AS n FROM ${marker}_hits`,
        );
        return n;
      },
    };
  };

  /** Uploads a document and records every status it shows on the events stream until it is ready or failed. */
  const ingestWatching = async (
    name: string,
    data: Buffer,
    timeoutMs = 60_000,
  ): Promise<{ done: DocumentBody; details: string[] }> => {
    const kb = await api.createKnowledgeBase();
    const stream = await openEventStream(`${t.url}/api/knowledge-bases/${kb.id}/events`, api.headers);
    try {
      const [doc] = await api.uploadOk(kb.id, [{ name, data }]);
      const done = await api.waitFor(doc.id, undefined, timeoutMs);
      const details = stream.events
        .map((e) => e.data.document)
        .filter((d) => d?.id === doc.id)
        .flatMap((d) => [d.statusDetail, d.error?.message].filter((x): x is string => Boolean(x)));
      return { done, details };
    } finally {
      stream.close();
    }
  };

  beforeAll(async () => {
    fake = await FakeOllama.start({ port: 0 });
    t = await startTestApp({ fake });
    api = await IngestionClient.signIn(t);
    db = new DataSource({ type: 'postgres', url: process.env.DATABASE_URL });
    await db.initialize();
    await db.query(`CREATE TABLE IF NOT EXISTS zk_test_faults (
      marker text PRIMARY KEY, on_status text NOT NULL, sql_state text NOT NULL, message text NOT NULL, times int)`);
    await db.query(`CREATE OR REPLACE FUNCTION zk_test_fault() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE f record;
      BEGIN
        FOR f IN SELECT * FROM zk_test_faults
                  WHERE strpos(NEW.filename, marker) > 0 AND NEW.status = on_status
                    AND OLD.status IS DISTINCT FROM NEW.status LOOP
          IF nextval(f.marker || '_hits') <= coalesce(f.times, 2147483647) THEN
            IF f.sql_state = 'terminate' THEN
              PERFORM pg_terminate_backend(pg_backend_pid());
              PERFORM pg_sleep(5);
            END IF;
            RAISE EXCEPTION USING ERRCODE = f.sql_state, MESSAGE = f.message;
          END IF;
        END LOOP;
        RETURN NEW;
      END $$`);
    // Only documents whose name carries a fault's marker are touched (other test files share the database).
    await db.query(`CREATE OR REPLACE TRIGGER zk_test_fault BEFORE UPDATE ON documents
      FOR EACH ROW EXECUTE FUNCTION zk_test_fault()`);
  });

  afterAll(async () => {
    await db?.query(`DROP TRIGGER IF EXISTS zk_test_fault ON documents`).catch(() => undefined);
    await db?.destroy();
    await t?.close();
    await fake?.stop();
  });

  describe('text is clean wherever it enters', () => {
    it('a PDF whose fonts give U+0000 and other control codes becomes ready, clean and searchable', async () => {
      // As TeX's math fonts without a Unicode map come out of pdf.js: the minus sign is U+0000, ξ is U+0018.
      const pdf = pdfWithUnicodeMap([
        'Herons wait\u0000 in the shallow river at dawn.',
        'The expected value E \u0018 = 3 and the variance \u0000 2 \u0001 1.',
      ]);
      const { done, details } = await ingestWatching('math-fonts.pdf', pdf);
      expect(done).toMatchObject({ status: 'ready', error: null, pageCount: 1, chunkCount: 1 });
      expect(details.filter((d) => /retry|error/i.test(d))).toEqual([]);
      const [chunk] = await api.allChunks(done.id);
      expect(chunk.content).toBe(
        'Herons wait in the shallow river at dawn. The expected value E = 3 and the variance 2 1.',
      );
      const found = await api
        .post(`/api/knowledge-bases/${done.knowledgeBaseId}/search`)
        .send({ query: 'shallow river herons', mode: 'keyword' })
        .expect(200);
      expect(found.body.results.map((r: { chunkId: string }) => r.chunkId)).toEqual([chunk.id]);
    });

    it('text, Markdown and Word files lose controls, noncharacters and stray BOMs, in content and headings', async () => {
      const kb = await api.createKnowledgeBase();
      const docs = await api.uploadOk(kb.id, [
        // (A NUL byte would make it binary data, refused at upload.)
        { name: 'notes.txt', data: Buffer.from('Plain\u0001 notes\u0007 about \ufeffvectors\u0085and \u009frows.') },
        { name: 'guide.md', data: Buffer.from('# Head\u0002ing\u0008\n\nBody \ufffd\ufffd text with \ufdd0debris.') },
        // XML cannot hold C0 controls: what reaches a .docx is C1 controls, noncharacters, BOMs.
        { name: 'word.docx', data: await docx([{ heading: 1, text: 'Ti\u0086tle' }, 'Para\ufeffgraph \ufdd0text.']) },
      ]);
      const contents: string[] = [];
      for (const doc of docs) {
        expect(await api.waitFor(doc.id)).toMatchObject({ status: 'ready', error: null });
        for (const chunk of await api.allChunks(doc.id)) contents.push(`${chunk.title} | ${chunk.content}`);
      }
      expect(contents.map((c) => c.replace(/\s+/g, ' '))).toEqual([
        ' | Plain notes about vectors and rows.',
        'Heading | Body text with debris.',
        'Title | Paragraph text.',
      ]);
    });

    it('questions, chunk edits and names are cleaned; a new password with a NUL is refused, not changed', async () => {
      const created = await api
        .post('/api/knowledge-bases')
        .send({ name: 'Manuals\u0000 手册', description: 'All\u0001 of them' })
        .expect(201);
      expect(created.body).toMatchObject({ name: 'Manuals 手册', description: 'All of them' });
      const [doc] = await api.uploadOk(created.body.id, [
        { name: 'edit.txt', data: Buffer.from('Text to be edited later.') },
      ]);
      await api.waitFor(doc.id);
      const [chunk] = await api.allChunks(doc.id);
      const edited = await api
        .patch(`/api/chunks/${chunk.id}`)
        .send({ content: 'Edited\u0000 text with a NUL\ud800.' })
        .expect(200);
      expect(edited.body.content).toBe('Edited text with a NUL.');
      const asked = await api
        .post(`/api/knowledge-bases/${created.body.id}/ask`)
        .send({ question: 'What\u0000 was edited?' })
        .expect(200);
      const conversation = await api.get(`/api/conversations/${asked.body.conversationId}`).expect(200);
      expect(JSON.stringify(conversation.body)).not.toMatch(/\\u0000/);
      expect(conversation.body.messages[0].content).toBe('What was edited?');

      const refused = await api
        .post('/api/users')
        .send({ email: `nul-${randomUUID().slice(0, 8)}@zhiku.test`, password: 'long-pass\u0000word', role: 'member' })
        .expect(400);
      expect(refused.body.message).toMatch(/password must not contain control characters/);
    });

    it('refuses knowledge-base and API-key names that would display as something else', async () => {
      const kb = await api.post('/api/knowledge-bases').send({ name: 'invoice\u202edm' }).expect(400);
      expect(kb.body.message).toMatch(/U\+202E RIGHT-TO-LEFT OVERRIDE/);
      const key = await api
        .post('/api/api-keys')
        .send({ name: 'bot\u200b', knowledgeBaseIds: 'all', scopes: ['ask'] })
        .expect(400);
      expect(key.body.message).toMatch(/U\+200B ZERO WIDTH SPACE/);
      await api.post('/api/knowledge-bases').send({ name: '👩‍💻 团队 notes' }).expect(201);
    });

    it('indexes the few labels of a figure rather than calling it a scan', async () => {
      const { done } = await ingestWatching('figure-with-labels.pdf', textPdf([['Widget', 'Thing']]));
      expect(done).toMatchObject({ status: 'ready', chunkCount: 1 });
    });
  });

  describe('permanent failures fail at once, in plain words', () => {
    it('text the database refuses fails after one attempt as UNSTORABLE_TEXT, with no raw database message', async () => {
      const { marker, hits } = await fault({
        onStatus: 'embedding',
        sqlState: '22021',
        message: 'invalid byte sequence for encoding "UTF8": 0x00',
      });
      const { done, details } = await ingestWatching(`${marker}.txt`, Buffer.from('Some text.'));
      expect(done).toMatchObject({ status: 'failed', statusDetail: null, error: { code: 'UNSTORABLE_TEXT' } });
      expect(done.error!.message).toMatch(/database refused part of this document's text/);
      expect(await hits()).toBe(1);
      expect(details.filter((d) => RAW_DATABASE_TEXT.test(d))).toEqual([]);
      expect(details.filter((d) => /retry/i.test(d))).toEqual([]);

      // The reconciler never brings back a document that failed for good.
      await db.query(`UPDATE documents SET updated_at = now() - interval '1 hour' WHERE id = $1`, [done.id]);
      expect(await t.app.get(IngestionReconcilerService).reconcile()).toBe(0);
      await new Promise((r) => setTimeout(r, 2_500));
      expect(await hits()).toBe(1);
      expect(await api.document(done.id)).toMatchObject({ status: 'failed', error: { code: 'UNSTORABLE_TEXT' } });
    });

    it('a document that breaks a database rule fails at once as CONSTRAINT_VIOLATION', async () => {
      const { marker, hits } = await fault({
        onStatus: 'embedding',
        sqlState: '23514',
        message: 'new row for relation "documents" violates check constraint "documents_progress_check"',
      });
      const { done, details } = await ingestWatching(`${marker}.md`, Buffer.from('# Title\n\nBody.'));
      expect(done).toMatchObject({ status: 'failed', error: { code: 'CONSTRAINT_VIOLATION' } });
      expect(await hits()).toBe(1);
      expect(details.filter((d) => RAW_DATABASE_TEXT.test(d))).toEqual([]);
    });

    it('an error nobody recognises is tried three times, then fails as INGESTION_FAILED in plain words', async () => {
      const { marker, hits } = await fault({
        onStatus: 'embedding',
        sqlState: 'XX000',
        message: 'could not read block 7 in file "base/16384/2619": read only 0 of 8192 bytes',
      });
      const { done, details } = await ingestWatching(`${marker}.txt`, Buffer.from('Text.'), 90_000);
      expect(done).toMatchObject({ status: 'failed', error: { code: 'INGESTION_FAILED' } });
      expect(done.error!.message).toMatch(/unexpected database error.*Reindex the document/);
      expect(await hits()).toBe(3);
      expect(details).toContain('Retrying after an unexpected error (attempt 1 of 3); the worker log has the details.');
      expect(details.filter((d) => RAW_DATABASE_TEXT.test(d) || /block 7|base\//.test(d))).toEqual([]);
    });
  });

  describe('transient failures wait and resume', () => {
    it('a deadlock reported while the document turns ready: the transaction runs again, no retry of the document', async () => {
      const { marker, hits } = await fault({
        onStatus: 'ready',
        sqlState: '40P01',
        message: 'deadlock detected',
        times: 1,
      });
      const { done, details } = await ingestWatching(`${marker}.txt`, Buffer.from('Swapped in at once.'));
      expect(done).toMatchObject({ status: 'ready', error: null });
      expect(await hits()).toBe(2);
      expect(details.filter((d) => /retry|waiting/i.test(d))).toEqual([]);
    });

    it('the database dropping the connection: the document waits, says so in plain words, and ends ready', async () => {
      const { marker, hits } = await fault({ onStatus: 'embedding', sqlState: 'terminate', times: 2 });
      const { done, details } = await ingestWatching(`${marker}.txt`, Buffer.from('Resilient text.'), 90_000);
      expect(done).toMatchObject({ status: 'ready', error: null, statusDetail: null });
      expect(await hits()).toBe(3);
      expect(details).toContain(
        'Waiting to retry (attempt 1 of 9, trying again shortly): The database could not be reached or dropped the connection.',
      );
      expect(details.filter((d) => RAW_DATABASE_TEXT.test(d))).toEqual([]);
    });

    it('Ollama down: the document waits, says so, and resumes when Ollama is back', async () => {
      const kb = await api.createKnowledgeBase();
      const port = Number(new URL(fake.url).port);
      await fake.stop();
      let restarted = false;
      try {
        const [doc] = await api.uploadOk(kb.id, [{ name: 'patient.txt', data: Buffer.from('Waiting is fine.') }]);
        const waiting = await api.waitFor(doc.id, (d) => /^Waiting for Ollama/.test(d.statusDetail ?? ''), 30_000);
        expect(waiting).toMatchObject({ status: 'embedding', error: null });
        // Every member reads it: the reason without Ollama's address (admins see that on the Models page).
        expect(waiting.statusDetail).toMatch(/Cannot reach Ollama/);
        expect(waiting.statusDetail).not.toContain('127.0.0.1');
        fake = await FakeOllama.start({ port });
        restarted = true;
        expect(await api.waitFor(doc.id, undefined, 60_000)).toMatchObject({ status: 'ready', statusDetail: null });
      } finally {
        if (!restarted) fake = await FakeOllama.start({ port });
      }
    });
  });

  describe('index builds never deadlock', () => {
    /** A knowledge base of `count` chunks with random 384-d vectors, written straight into PostgreSQL. */
    const seedKnowledgeBase = async (count: number): Promise<string> => {
      const kb = await api.createKnowledgeBase({ embeddingModel: 'all-minilm' });
      const [{ id }] = await db.query(
        `INSERT INTO documents (knowledge_base_id, filename, mime_type, size_bytes, sha256, storage_key, status)
         VALUES ($1, 'seed.txt', 'text/plain', 1, repeat('0', 64), 'seed', 'ready') RETURNING id`,
        [kb.id],
      );
      await db.query(
        `INSERT INTO chunks (document_id, knowledge_base_id, ordinal, content, embedding_dims, embedding)
         SELECT $1, $2, g, 'seed ' || g, 384,
                (SELECT array_agg(random())::halfvec FROM generate_series(1, 384) WHERE g > 0)
           FROM generate_series(1, $3) g`,
        [id, kb.id, count],
      );
      return kb.id;
    };
    const indexValid = async (knowledgeBaseId: string): Promise<boolean> => {
      const [row] = await db.query(
        `SELECT i.indisvalid AS valid FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid WHERE c.relname = $1`,
        [vectorIndexName(knowledgeBaseId)],
      );
      return row?.valid === true;
    };

    it('two documents of one knowledge base and one of another asking for their index at once', async () => {
      // The sweep's "deadlock detected": a second caller blocked in pg_advisory_lock on the builder's lock is
      // a transaction CREATE INDEX CONCURRENTLY waits for; two builds on one table wait for each other too.
      const [a, b] = [await seedKnowledgeBase(4000), await seedKnowledgeBase(4000)];
      const repository = t.app.get(ChunkRepository);
      const options = { minChunks: 1000, buildMemoryMb: 64 };
      const after = (ms: number, id: string) =>
        new Promise((r) => setTimeout(r, ms)).then(() => repository.ensureVectorIndex(id, 384, options));
      const outcomes = await Promise.all([after(0, a), after(200, a), after(400, b)]);
      for (const outcome of outcomes) expect(['built', 'exists']).toContain(outcome);
      expect([await indexValid(a), await indexValid(b)]).toEqual([true, true]);
    }, 120_000);
  });
});
