import { Client } from 'pg';
import request from 'supertest';
import { KnowledgeBaseEventsService } from '../../src/knowledge-bases/knowledge-base-events.service';
import {
  AuthSession,
  createApiKey,
  createMember,
  grantMembership,
  loginAsAdmin,
  TEST_ADMIN,
  TestMember,
  uniqueEmail,
} from '../support/auth-helpers';
import { openEventStream as openStream } from '../ingestion/support/event-stream';
import { startTestApp, TestApp } from '../support/test-app';
import { PG_SERVER_URL, TEST_DATABASE_NAME } from '../support/test-env';
import { db, seedKnowledgeBase } from './auth-fixtures';

/**
 * The findings of the outside security review (issue #11, items 1–6 and 8), each as the reviewer
 * reproduced it, against a running app: real PostgreSQL, Redis and HTTP, the fake Ollama.
 */
describe('security review: login limits, request bodies, event streams, internal details', () => {
  let t: TestApp;
  let admin: AuthSession;

  beforeAll(async () => {
    t = await startTestApp({ role: 'api' });
    admin = await loginAsAdmin(t);
  });
  afterAll(async () => {
    await t?.close();
  });

  const login = (email: string, password: string, address: string) =>
    request(t.url).post('/api/auth/login').set('X-Forwarded-For', address).send({ email, password });

  describe('1–2: sign-in limits', () => {
    it('evaluates at most 5 of 12 concurrent wrong-password sign-ins for one email (counted before the check)', async () => {
      const member = await createMember(t, admin.token);
      const answers = await Promise.all(
        Array.from({ length: 12 }, (_, i) => login(member.email, `wrong-password-${i}`, '198.51.100.20')),
      );
      const statuses = answers.map((r) => r.status).sort();
      expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(5);
      expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(7);
      expect(statuses.every((s) => s === 401 || s === 429)).toBe(true);
    });

    it('lets the owner sign in from their own address while another address hammers the account', async () => {
      const owner = await createMember(t, admin.token);
      for (let i = 0; i < 10; i++) {
        const res = await login(owner.email, `guess-${i}-password`, '203.0.113.66');
        expect([401, 429]).toContain(res.status);
      }
      // The attacker's address is held back, even with the right password…
      const attacker = await login(owner.email, owner.password, '203.0.113.66').expect(429);
      expect(attacker.body).toMatchObject({ statusCode: 429, error: 'TOO_MANY_LOGIN_ATTEMPTS' });
      expect(Number(attacker.headers['retry-after'])).toBeGreaterThan(0);
      // …the owner, from their own machine, is not.
      await login(owner.email, owner.password, '192.0.2.10').expect(200);
      // Nor is the administrator, whose account anyone can name.
      for (let i = 0; i < 8; i++) await login(TEST_ADMIN.email, `guess-${i}-password`, '203.0.113.67');
      await login(TEST_ADMIN.email, TEST_ADMIN.password, '192.0.2.11').expect(200);
    });

    it('limits one address across many emails, without touching other addresses', async () => {
      const address = '203.0.113.90';
      let refused: request.Response | undefined;
      for (let i = 0; i < 40 && !refused; i++) {
        const res = await login(uniqueEmail('spray'), 'guess-password', address);
        if (res.status === 429) refused = res;
        else expect(res.status).toBe(401);
      }
      expect(refused?.body.error).toBe('TOO_MANY_LOGIN_ATTEMPTS');
      await login(TEST_ADMIN.email, TEST_ADMIN.password, address).expect(429);
      await login(TEST_ADMIN.email, TEST_ADMIN.password, '203.0.113.91').expect(200);
    });

    it('makes a repeat offender wait longer each time (the delay grows)', async () => {
      const member = await createMember(t, admin.token);
      const address = '198.51.100.77';
      let first: request.Response | undefined;
      for (let i = 0; i < 10 && !first; i++) {
        const res = await login(member.email, 'wrong-password', address);
        if (res.status === 429) first = res;
      }
      const firstWait = Number(first?.headers['retry-after']);
      expect(firstWait).toBeGreaterThan(0);
      expect(firstWait).toBeLessThanOrEqual(60);
      // A correct password from elsewhere clears nothing for the guessing address.
      await login(member.email, member.password, '192.0.2.77').expect(200);
      await login(member.email, member.password, address).expect(429);
    });
  });

  describe('3 and 8: request bodies', () => {
    const nested = (depth: number): string => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

    it('refuses a body nested 20,000 levels deep with 400 before any pipe runs, without signing in', async () => {
      for (const body of [
        `{"email":"a@b.c","password":"x","extra":${nested(20_000)}}`,
        `{"email":${'['.repeat(20_000)}${']'.repeat(20_000)},"password":"x"}`,
      ]) {
        const res = await request(t.url)
          .post('/api/auth/login')
          .set('Content-Type', 'application/json')
          .send(body)
          .expect(400);
        expect(res.body).toMatchObject({ statusCode: 400, error: 'JSON_TOO_DEEP' });
        expect(res.body.message).toMatch(/nested deeper than 32/);
      }
      // Also where a signed-in caller's body meets nested DTOs.
      const res = await request(t.url)
        .post('/api/knowledge-bases')
        .set(admin.headers)
        .set('Content-Type', 'application/json')
        .send(`{"name":"deep","settings":${nested(5_000)}}`)
        .expect(400);
      expect(res.body.error).toBe('JSON_TOO_DEEP');
      // A sane depth still reaches validation as before.
      await request(t.url)
        .post('/api/auth/login')
        .set('Content-Type', 'application/json')
        .send(`{"email":"a@b.c","password":"x","extra":${nested(10)}}`)
        .expect(400)
        .expect((r) => expect(r.body.message).toContain('property extra should not exist'));
    });

    it('refuses a body with too many keys or array items with a short 400 that names the limit', async () => {
      const manyKeys = `{"email":"a@b.c","password":"x",${Array.from({ length: 50_000 }, (_, i) => `"k${i}":1`).join(',')}}`;
      const longArray = `{"email":"a@b.c","password":[${Array.from({ length: 200_000 }, () => '0').join(',')}]}`;
      for (const [body, code, words] of [
        [manyKeys, 'JSON_TOO_MANY_KEYS', /more than 1,000 keys/],
        [longArray, 'JSON_ARRAY_TOO_LONG', /more than 10,000 items/],
      ] as const) {
        const res = await request(t.url)
          .post('/api/auth/login')
          .set('Content-Type', 'application/json')
          .send(body)
          .expect(400);
        expect(res.body).toMatchObject({ statusCode: 400, error: code });
        expect(res.body.message).toMatch(words);
        expect(res.text.length).toBeLessThan(500);
      }
    });

    it('answers __proto__, constructor and prototype keys like any other unknown field, at any depth', async () => {
      const unknown = await request(t.url)
        .post('/api/auth/login')
        .set('Content-Type', 'application/json')
        .send('{"email":"a@b.c","password":"x","isAdmin":true}')
        .expect(400);
      expect(unknown.body).toMatchObject({ error: 'VALIDATION_FAILED', message: 'property isAdmin should not exist' });

      for (const key of ['__proto__', 'constructor', 'prototype']) {
        const top = await request(t.url)
          .post('/api/auth/login')
          .set('Content-Type', 'application/json')
          .send(`{"email":"a@b.c","password":"x","${key}":{"isAdmin":true}}`)
          .expect(400);
        expect(top.body).toMatchObject({ error: 'VALIDATION_FAILED', message: `property ${key} should not exist` });

        const deep = await request(t.url)
          .post('/api/knowledge-bases')
          .set(admin.headers)
          .set('Content-Type', 'application/json')
          .send(`{"name":"proto","settings":{"topK":3,"${key}":{"polluted":true}}}`)
          .expect(400);
        expect(deep.body).toMatchObject({ error: 'VALIDATION_FAILED' });
        expect(deep.body.message).toContain(`settings.property ${key} should not exist`);

        const query = await request(t.url).get(`/api/knowledge-bases?${key}=1`).set(admin.headers).expect(400);
        expect(query.body).toMatchObject({ error: 'VALIDATION_FAILED', message: `property ${key} should not exist` });
      }
      const [{ polluted }] = await db(t).query(
        `SELECT count(*)::int AS polluted FROM knowledge_bases WHERE name = 'proto'`,
      );
      expect(polluted).toBe(0);
    });
  });

  describe('4: event streams end when the access they were opened with ends', () => {
    let owner: TestMember;

    beforeAll(async () => {
      owner = await createMember(t, admin.token);
    });

    /** A knowledge base of the owner's, with `reader` (a new member unless given) allowed to read it. */
    async function sharedKnowledgeBase(reader?: TestMember): Promise<{ kbId: string; reader: TestMember }> {
      const kb = await seedKnowledgeBase(t, owner.user.id);
      const member = reader ?? (await createMember(t, admin.token));
      await grantMembership(t, owner.token, kb.id, member.user.id, 'read');
      return { kbId: kb.id, reader: member };
    }

    function publishUpdate(kbId: string, filename: string): void {
      t.app.get(KnowledgeBaseEventsService).publish({
        type: 'document.updated',
        knowledgeBaseId: kbId,
        document: { id: '00000000-0000-4000-8000-000000000001', knowledgeBaseId: kbId, filename, status: 'parsing' },
      });
    }

    /** Opens the stream, proves it delivers, runs `revoke`, then proves it ended and said nothing more. */
    async function expectStreamEndsWhen(kbId: string, headers: Record<string, string>, revoke: () => Promise<unknown>) {
      const stream = await openStream(`${t.url}/api/knowledge-bases/${kbId}/events`, headers);
      try {
        expect(stream.status).toBe(200);
        await stream.waitFor((e) => e.event === 'snapshot');
        publishUpdate(kbId, 'before.pdf');
        await stream.waitFor((e) => e.data?.document?.filename === 'before.pdf');
        await revoke();
        await stream.ended(5_000);
        publishUpdate(kbId, 'after.pdf');
        await new Promise((r) => setTimeout(r, 300));
        expect(stream.events.map((e) => e.data?.document?.filename)).not.toContain('after.pdf');
        expect(stream.events.at(-1)).toMatchObject({ event: 'reconnect', data: { reason: 'access-changed' } });
        // Reconnecting is refused: the client learns it has no access any more.
        const again = await request(t.url).get(`/api/knowledge-bases/${kbId}/events`).set(headers).timeout(3_000);
        expect([401, 404]).toContain(again.status);
      } finally {
        stream.close();
      }
    }

    it('ends when the member is removed from the knowledge base', async () => {
      const { kbId, reader } = await sharedKnowledgeBase();
      await expectStreamEndsWhen(kbId, reader.headers, () =>
        request(t.url).delete(`/api/knowledge-bases/${kbId}/members/${reader.user.id}`).set(owner.headers).expect(204),
      );
    });

    it('ends when the user is deleted', async () => {
      const { kbId, reader } = await sharedKnowledgeBase();
      await expectStreamEndsWhen(kbId, reader.headers, () =>
        request(t.url).delete(`/api/users/${reader.user.id}`).set(admin.headers).expect(204),
      );
    });

    it('ends when the password changes, by the user or by an administrator', async () => {
      const { kbId, reader } = await sharedKnowledgeBase();
      await expectStreamEndsWhen(kbId, reader.headers, () =>
        request(t.url)
          .post('/api/auth/password')
          .set(reader.headers)
          .send({ currentPassword: reader.password, newPassword: 'a-new-password-1' })
          .expect(200),
      );
      const other = await sharedKnowledgeBase();
      await expectStreamEndsWhen(other.kbId, other.reader.headers, () =>
        request(t.url)
          .patch(`/api/users/${other.reader.user.id}`)
          .set(admin.headers)
          .send({ password: 'set-by-the-admin-1' })
          .expect(200),
      );
    });

    it('ends when the API key is revoked, and when it expires', async () => {
      const { kbId, reader } = await sharedKnowledgeBase();
      const key = await createApiKey(t, reader.token, { knowledgeBaseIds: [kbId], scopes: ['ask'] });
      await expectStreamEndsWhen(kbId, key.headers, () =>
        request(t.url).delete(`/api/api-keys/${key.id}`).set(reader.headers).expect(204),
      );

      const expiring = await createApiKey(t, reader.token, {
        knowledgeBaseIds: [kbId],
        scopes: ['ask'],
        expiresAt: new Date(Date.now() + 2_500).toISOString(),
      });
      const stream = await openStream(`${t.url}/api/knowledge-bases/${kbId}/events`, expiring.headers);
      try {
        expect(stream.status).toBe(200);
        await stream.ended(6_000);
        expect(stream.events.at(-1)).toMatchObject({ event: 'reconnect', data: { reason: 'credentials-expired' } });
      } finally {
        stream.close();
      }
    });

    it('keeps streaming for a member whose access stays, when someone else loses theirs', async () => {
      const { kbId, reader } = await sharedKnowledgeBase();
      const other = await createMember(t, admin.token);
      await grantMembership(t, owner.token, kbId, other.user.id, 'read');
      const stream = await openStream(`${t.url}/api/knowledge-bases/${kbId}/events`, reader.headers);
      try {
        await stream.waitFor((e) => e.event === 'snapshot');
        await request(t.url)
          .delete(`/api/knowledge-bases/${kbId}/members/${other.user.id}`)
          .set(owner.headers)
          .expect(204);
        await request(t.url).delete(`/api/users/${other.user.id}`).set(admin.headers).expect(204);
        publishUpdate(kbId, 'still-here.pdf');
        await stream.waitFor((e) => e.data?.document?.filename === 'still-here.pdf', 5_000);
        expect(stream.isEnded()).toBe(false);
      } finally {
        stream.close();
      }
    });

    it('ends every stream after EVENT_STREAM_MAX_SEC, so the client reconnects and is authorized again', async () => {
      const short = await startTestApp({ role: 'api', env: { EVENT_STREAM_MAX_SEC: '2' } });
      try {
        const shortAdmin = await loginAsAdmin(short);
        const kb = await seedKnowledgeBase(short, shortAdmin.user.id);
        const started = Date.now();
        const stream = await openStream(`${short.url}/api/knowledge-bases/${kb.id}/events`, shortAdmin.headers);
        try {
          await stream.waitFor((e) => e.event === 'snapshot');
          await stream.ended(6_000);
          expect(Date.now() - started).toBeGreaterThanOrEqual(1_900);
          expect(stream.events.at(-1)).toMatchObject({ event: 'reconnect', data: { reason: 'max-lifetime' } });
        } finally {
          stream.close();
        }
        const again = await openStream(`${short.url}/api/knowledge-bases/${kb.id}/events`, shortAdmin.headers);
        try {
          expect(again.status).toBe(200);
          await again.waitFor((e) => e.event === 'snapshot');
        } finally {
          again.close();
        }
      } finally {
        await short.close();
      }
    });

    it('leaks no keep-alive timer or subscription when the client leaves before the stream opens', async () => {
      const kb = await seedKnowledgeBase(t, owner.user.id);
      const openTimers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
      const settle = () => new Promise((r) => setTimeout(r, 1_000));
      const leaving = 20;
      // Holds each request between the guard and the open stream (its access check waits on a lock) while
      // the client gives up, then lets them all go on.
      const locker = new Client({ connectionString: `${PG_SERVER_URL}/${TEST_DATABASE_NAME}` });
      await locker.connect();
      const leaveBeforeTheStreamOpens = async (): Promise<void> => {
        await locker.query('BEGIN');
        await locker.query('LOCK TABLE knowledge_base_members IN ACCESS EXCLUSIVE MODE');
        const gone = await Promise.all(
          Array.from({ length: leaving }, async () => {
            const controller = new AbortController();
            const pending = fetch(`${t.url}/api/knowledge-bases/${kb.id}/events`, {
              headers: owner.headers,
              signal: controller.signal,
            }).then(
              (res) => `answered ${res.status}`,
              (err: Error) => err.name,
            );
            await new Promise((r) => setTimeout(r, 200));
            controller.abort();
            return pending;
          }),
        );
        expect(gone).toEqual(Array(leaving).fill('AbortError'));
        await locker.query('COMMIT');
        await settle();
      };
      try {
        // A first round grows the connection pool (each idle connection has a timer of its own).
        await leaveBeforeTheStreamOpens();
        const before = openTimers();
        await leaveBeforeTheStreamOpens();
        // Each leaked stream would keep a 15 s keep-alive interval (and its subscription) forever.
        expect(openTimers() - before).toBeLessThan(leaving / 4);
        // The stream still works for a client that stays.
        const stream = await openStream(`${t.url}/api/knowledge-bases/${kb.id}/events`, owner.headers);
        try {
          await stream.waitFor((e) => e.event === 'snapshot');
        } finally {
          stream.close();
        }
      } finally {
        await locker.end();
      }
    });
  });

  describe('5: an ask key sees only the conversations it started, and cannot delete any', () => {
    it("an admin's ask key neither reads nor deletes another user's conversation, nor lists it", async () => {
      const member = await createMember(t, admin.token);
      const kb = await seedKnowledgeBase(t, member.user.id);
      const adminKey = await createApiKey(t, admin.token, { knowledgeBaseIds: 'all', scopes: ['ask'] });

      await request(t.url).get(`/api/conversations/${kb.conversationId}`).set(adminKey.headers).expect(404);
      await request(t.url)
        .get(`/api/conversations/${kb.conversationId}/messages/${kb.messageId}/trace`)
        .set(adminKey.headers)
        .expect(404);
      await request(t.url).delete(`/api/conversations/${kb.conversationId}`).set(adminKey.headers).expect(404);
      const listed = await request(t.url).get(`/api/knowledge-bases/${kb.id}/conversations`).set(adminKey.headers);
      expect(listed.status).toBe(200);
      expect(listed.body.items).toEqual([]);
      // Still there for its owner, and for the admin signed in.
      await request(t.url).get(`/api/conversations/${kb.conversationId}`).set(member.headers).expect(200);
      await request(t.url).get(`/api/conversations/${kb.conversationId}`).set(admin.headers).expect(200);
      // The owner's own ask key does not open the owner's signed-in conversations either.
      const memberKey = await createApiKey(t, member.token, { knowledgeBaseIds: [kb.id], scopes: ['ask'] });
      await request(t.url).get(`/api/conversations/${kb.conversationId}`).set(memberKey.headers).expect(404);
    });

    it('a key goes on with its own conversation; another key does not see it; its owner does', async () => {
      const member = await createMember(t, admin.token);
      const kb = await seedKnowledgeBase(t, member.user.id);
      const askKey = await createApiKey(t, member.token, { knowledgeBaseIds: [kb.id], scopes: ['ask'] });
      const otherKey = await createApiKey(t, member.token, { knowledgeBaseIds: [kb.id], scopes: ['ask', 'write'] });

      const first = await request(t.url)
        .post(`/api/knowledge-bases/${kb.id}/ask`)
        .set(askKey.headers)
        .send({ question: '知库是什么？' })
        .expect(200);
      const conversationId: string = first.body.conversationId;
      await request(t.url)
        .post(`/api/knowledge-bases/${kb.id}/ask`)
        .set(askKey.headers)
        .send({ question: '再说一遍', conversationId })
        .expect(200);
      const own = await request(t.url).get(`/api/conversations/${conversationId}`).set(askKey.headers).expect(200);
      expect(own.body.messages).toHaveLength(4);
      const listed = await request(t.url).get(`/api/knowledge-bases/${kb.id}/conversations`).set(askKey.headers);
      expect(listed.body.items.map((c: { id: string }) => c.id)).toEqual([conversationId]);

      await request(t.url).get(`/api/conversations/${conversationId}`).set(otherKey.headers).expect(404);
      await request(t.url)
        .post(`/api/knowledge-bases/${kb.id}/ask`)
        .set(otherKey.headers)
        .send({ question: '继续', conversationId })
        .expect(404);
      await request(t.url).delete(`/api/conversations/${conversationId}`).set(otherKey.headers).expect(404);
      const refused = await request(t.url)
        .delete(`/api/conversations/${conversationId}`)
        .set(askKey.headers)
        .expect(403);
      expect(refused.body).toMatchObject({ error: 'INSUFFICIENT_SCOPE', message: expect.stringContaining('write') });
      // The owner, signed in, sees the key's conversations among their own and may delete them.
      const mine = await request(t.url).get(`/api/knowledge-bases/${kb.id}/conversations`).set(member.headers);
      expect(mine.body.items.map((c: { id: string }) => c.id)).toContain(conversationId);
      await request(t.url).delete(`/api/conversations/${conversationId}`).set(member.headers).expect(204);
    });
  });

  describe('6: internal details only for administrators', () => {
    it('says only up or down on the public /health; the details with the fix are for admins', async () => {
      t.fake.configure({ missingModels: ['qwen2.5:7b'] });
      try {
        const open = await request(t.url).get('/health').expect(503);
        expect(open.body.details).toEqual({
          database: { status: 'up' },
          redis: { status: 'up' },
          ollama: { status: 'down' },
        });
        expect(open.text).not.toContain(t.fake.url);
        expect(open.text).not.toMatch(/qwen|bge|version/);

        const member = await createMember(t, admin.token);
        const forMember = await request(t.url).get('/health/details').set(member.headers).expect(503);
        expect(forMember.body.details.ollama).toMatchObject({
          status: 'down',
          models: { chat: { name: 'qwen2.5:7b', present: false } },
        });
        expect(forMember.text).not.toContain(t.fake.url);
        expect(forMember.body.details.ollama.version).toBeUndefined();

        const forAdmin = await request(t.url).get('/health/details').set(admin.headers).expect(503);
        expect(forAdmin.body.details.ollama).toMatchObject({
          status: 'down',
          url: t.fake.url,
          version: expect.any(String),
          message: expect.stringContaining('ollama pull qwen2.5:7b'),
        });
        await request(t.url).get('/health/details').expect(401);
      } finally {
        t.fake.reset();
      }
      await request(t.url).get('/health').expect(200);
    });

    it('refuses a knowledge base for a model Ollama lacks with 422 naming the model and the pull command, no URL', async () => {
      const member = await createMember(t, admin.token);
      t.fake.configure({ missingModels: ['nomic-embed-text:latest'] });
      try {
        for (const who of [member, admin]) {
          const res = await request(t.url)
            .post('/api/knowledge-bases')
            .set(who.headers)
            .send({ name: 'x', embeddingModel: 'nomic-embed-text' })
            .expect(422);
          expect(res.body).toMatchObject({
            statusCode: 422,
            error: 'OLLAMA_MODEL_NOT_FOUND',
            model: 'nomic-embed-text',
          });
          expect(res.body.message).toContain('nomic-embed-text');
          expect(res.body.message).toContain('ollama pull nomic-embed-text');
          expect(res.text).not.toContain(t.fake.url);
        }
      } finally {
        t.fake.reset();
      }
    });

    it('keeps the Ollama address out of documents a member reads: waiting and failed documents', async () => {
      const withWorker = await startTestApp({ role: 'all' });
      try {
        const owner = await loginAsAdmin(withWorker);
        const reader = await createMember(withWorker, owner.token);
        const kb = (
          await request(withWorker.url).post('/api/knowledge-bases').set(owner.headers).send({ name: 'docs' })
        ).body as { id: string };
        await grantMembership(withWorker, owner.token, kb.id, reader.user.id, 'read');
        const upload = async (name: string): Promise<string> =>
          (
            await request(withWorker.url)
              .post(`/api/knowledge-bases/${kb.id}/documents`)
              .set(owner.headers)
              .attach('files', Buffer.from(`${name}: some words to embed.`), { filename: name })
              .expect(202)
          ).body.documents[0].id;
        const readAs = async (id: string) =>
          request(withWorker.url).get(`/api/documents/${id}`).set(reader.headers).expect(200);
        const waitUntil = async (id: string, done: (body: Record<string, unknown>) => boolean) => {
          for (const deadline = Date.now() + 30_000; Date.now() < deadline;) {
            const res = await readAs(id);
            if (done(res.body)) return res;
            await new Promise((r) => setTimeout(r, 150));
          }
          throw new Error(`document ${id} never got there`);
        };

        withWorker.fake.configure({ failWith503: true });
        const waiting = await waitUntil(await upload('busy.txt'), (d) =>
          /Waiting for Ollama/.test(String(d.statusDetail)),
        );
        expect(waiting.text).not.toContain(withWorker.fake.url);
        withWorker.fake.reset();

        withWorker.fake.configure({ missingModels: ['bge-m3'] });
        const failed = await waitUntil(await upload('missing.txt'), (d) => d.status === 'failed');
        expect(failed.body.error).toMatchObject({
          code: 'OLLAMA_MODEL_NOT_FOUND',
          message: expect.stringContaining('ollama pull bge-m3'),
        });
        expect(failed.text).not.toContain(withWorker.fake.url);
      } finally {
        await withWorker.close();
      }
    });

    it('keeps the Ollama address out of what members see: /api/models and Ollama-down errors', async () => {
      const member = await createMember(t, admin.token);
      const models = await request(t.url).get('/api/models').set(member.headers).expect(200);
      expect(models.body.models.length).toBeGreaterThan(0);
      expect(models.text).not.toContain(t.fake.url);
      expect(models.body.url).toBeUndefined();
      const forAdmin = await request(t.url).get('/api/models').set(admin.headers).expect(200);
      expect(forAdmin.body.url).toBe(t.fake.url);

      const down = await startTestApp({ role: 'api', env: { OLLAMA_BASE_URL: 'http://127.0.0.1:9' } });
      try {
        const downAdmin = await loginAsAdmin(down);
        const downMember = await createMember(down, downAdmin.token);
        for (const [path, method] of [
          ['/api/models', 'get'],
          ['/api/knowledge-bases', 'post'],
        ] as const) {
          const res = await request(down.url)[method](path).set(downMember.headers).send({ name: 'x' }).expect(503);
          expect(res.body.error).toBe('OLLAMA_UNAVAILABLE');
          expect(res.text).not.toContain('127.0.0.1:9');
          expect(res.body.message).toMatch(/administrator/i);
          const asAdmin = await request(down.url)[method](path).set(downAdmin.headers).send({ name: 'x' }).expect(503);
          expect(asAdmin.body.message).toContain('http://127.0.0.1:9');
        }
      } finally {
        await down.close();
      }
    });
  });
});
