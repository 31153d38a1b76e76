import { Ollama } from 'ollama';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { createApiKey, createMember, grantMembership, loginAsAdmin, TEST_ADMIN } from '../support/auth-helpers';
import { createKnowledgeBase, R_OUTPUT_PASSAGES, seedDocument, SeededKb } from '../support/retrieval-fixtures';
import { startTestApp, TestApp } from '../support/test-app';

interface ChatBody {
  model: string;
  messages: { role: string; content: string }[];
  options: Record<string, unknown>;
}

/** Citations ride along on the final object; the client's types do not know them. */
type WithCitations = {
  citations?: { index: number; chunkId: string; documentName: string; pageFrom: number | null }[];
};

/** What ollama-js throws for a non-2xx answer (not exported by the package). */
interface ResponseErrorLike {
  name: string;
  error: string;
  status_code: number;
}

const QUESTION = 'How do I divert all subsequent output to a file?';

/** Reads an NDJSON body the way Open WebUI passes it through: one JSON object a line. */
function ndjsonLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((line) => line.length)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/**
 * The Ollama-compatible API (/ollama), driven by the official `ollama` client and by raw HTTP the way Open
 * WebUI calls an Ollama connection, against the real service with the fake Ollama behind it.
 */
describe('Ollama-compatible API (/ollama) with the official ollama client', () => {
  let t: TestApp;
  let kb: SeededKb;
  let otherKb: SeededKb;
  let adminToken: string;
  let scopedKey: string;
  let client: Ollama;
  let sinkChunk: string;

  const clientFor = (secret: string) =>
    new Ollama({ host: `${t.url}/ollama`, headers: { Authorization: `Bearer ${secret}` } });
  const chatRequests = (): ChatBody[] => t.fake.requestsTo('/api/chat').map((r) => r.body as ChatBody);

  beforeAll(async () => {
    t = await startTestApp({
      role: 'api',
      env: { ADMIN_EMAIL: TEST_ADMIN.email, ADMIN_PASSWORD: TEST_ADMIN.password },
    });
    const admin = await loginAsAdmin(t);
    adminToken = admin.token;
    kb = await createKnowledgeBase(t, admin.headers, { name: 'R manual ollama' });
    otherKb = await createKnowledgeBase(t, admin.headers, { name: 'Other ollama' });
    const doc = await seedDocument(t, kb.id, 'R-intro.pdf', R_OUTPUT_PASSAGES);
    sinkChunk = doc.chunkIds[0];
    await seedDocument(t, otherKb.id, 'other.pdf', [{ content: 'Nothing about output here.', page: 1 }]);
    // As a user would: an API key that may ask this knowledge base only.
    scopedKey = (await createApiKey(t, admin.token, { knowledgeBaseIds: [kb.id], scopes: ['ask'] })).secret;
    client = clientFor(scopedKey);
  });
  afterAll(async () => t?.close());
  beforeEach(() => t.fake.reset());

  it('answers version, ps and the health line like Ollama', async () => {
    expect(await client.version()).toEqual({ version: expect.stringMatching(/^\d+\.\d+\.\d+$/) });
    expect(await client.ps()).toEqual({ models: [] });
    const running = await request(t.url).get('/ollama/').expect(200);
    expect(running.text).toBe('Ollama is running');
  });

  it('lists only the knowledge bases the key may ask, as <slug>:latest with Ollama fields', async () => {
    const { models } = await client.list();
    expect(models).toEqual([
      {
        name: `${kb.slug}:latest`,
        model: `${kb.slug}:latest`,
        modified_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), // JSON, whatever the client types say
        size: expect.any(Number),
        digest: expect.stringMatching(/^[0-9a-f]{64}$/),
        details: expect.objectContaining({ format: 'zhiku', family: 'zhiku', parent_model: expect.any(String) }),
        capabilities: ['completion'],
      },
    ]);
    expect(models[0].size).toBeGreaterThan(0);

    const allKey = await createApiKey(t, adminToken, { knowledgeBaseIds: 'all', scopes: ['ask'] });
    const all = await clientFor(allKey.secret).list();
    expect(all.models.map((m) => m.model)).toEqual(
      expect.arrayContaining([`${kb.slug}:latest`, `${otherKb.slug}:latest`]),
    );
  });

  it('shows a knowledge base as a model', async () => {
    const shown = await client.show({ model: `${kb.slug}:latest` });
    expect(shown.capabilities).toEqual(['completion']);
    expect(shown.parameters).toMatch(/num_ctx \d+/);
    expect(shown.model_info).toMatchObject({ 'general.architecture': 'zhiku', 'general.basename': 'R manual ollama' });
    // Without the tag and in other case, as Ollama resolves names.
    expect((await client.show({ model: kb.slug.toUpperCase() })).details.family).toBe('zhiku');
  });

  it('answers a chat without streaming, with done_reason, counts, durations and citations', async () => {
    const answer = await client.chat({ model: `${kb.slug}:latest`, messages: [{ role: 'user', content: QUESTION }] });
    expect(answer.model).toBe(`${kb.slug}:latest`);
    expect(answer.message).toMatchObject({ role: 'assistant', content: expect.stringContaining('[1]') });
    expect(answer.done).toBe(true);
    expect(answer.done_reason).toBe('stop');
    expect(answer.eval_count).toBeGreaterThan(0);
    expect(answer.prompt_eval_count).toBeGreaterThan(0);
    expect(answer.total_duration).toBeGreaterThan(0);
    expect(answer.eval_duration).toBeGreaterThan(0);
    expect(answer.total_duration).toBeGreaterThanOrEqual(answer.eval_duration);
    const { citations } = answer as unknown as WithCitations;
    expect(citations?.[0]).toMatchObject({ index: 1, chunkId: sinkChunk, documentName: 'R-intro.pdf', pageFrom: 12 });
  });

  it('streams a chat: pieces, then the done object with the citations', async () => {
    const stream = await client.chat({
      model: `${kb.slug}:latest`,
      messages: [{ role: 'user', content: QUESTION }],
      stream: true,
    });
    const parts = [];
    for await (const part of stream) parts.push(part);
    const content = parts.map((p) => p.message.content).join('');
    expect(content).toMatch(/^According to the sources: ".*record\.lis.*" \[1\]\. See also \[2\]\.$/);
    expect(parts.length).toBeGreaterThan(2);
    expect(parts.slice(0, -1).every((p) => !p.done)).toBe(true);
    const last = parts[parts.length - 1];
    expect(last).toMatchObject({ done: true, done_reason: 'stop', message: { role: 'assistant', content: '' } });
    expect((last as unknown as WithCitations).citations?.map((c) => c.index)).toEqual([1, 2]);
  });

  it('takes earlier messages as history and passes temperature, top_p, num_predict and num_ctx through', async () => {
    await client.chat({
      model: `${kb.slug}:latest`,
      messages: [
        { role: 'system', content: 'You are a pirate.' },
        { role: 'user', content: 'How do I divert output to a file?' },
        { role: 'assistant', content: 'Use sink("file") [1].' },
        { role: 'user', content: 'And how do I restore it to the console?' },
      ],
      options: { temperature: 0.7, top_p: 0.9, num_predict: 5, num_ctx: 4096, top_k: 20 },
    });
    const [rewrite, answer] = chatRequests();
    expect(rewrite.messages[1].content).toContain('Follow-up question: And how do I restore it to the console?');
    expect(answer.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(answer.messages[0].content).not.toContain('pirate');
    expect(answer.options).toMatchObject({ temperature: 0.7, top_p: 0.9, num_predict: 5, num_ctx: 4096 });
    expect(answer.options).not.toHaveProperty('top_k');
  });

  it('reports a cut answer as done_reason "length"', async () => {
    const answer = await client.chat({
      model: kb.slug,
      messages: [{ role: 'user', content: QUESTION }],
      options: { num_predict: 3 },
    });
    expect(answer.done_reason).toBe('length');
  });

  it('answers generate, streamed and not', async () => {
    const whole = await client.generate({ model: `${kb.slug}:latest`, prompt: QUESTION });
    expect(whole).toMatchObject({ done: true, done_reason: 'stop', response: expect.stringContaining('[1]') });
    const stream = await client.generate({ model: `${kb.slug}:latest`, prompt: QUESTION, stream: true });
    const parts = [];
    for await (const part of stream) parts.push(part);
    expect(parts.map((p) => p.response).join('')).toBe(whole.response);
    expect(parts[parts.length - 1]).toMatchObject({ done: true, response: '' });
    // Open WebUI's "unload" and a bare preload ask nothing.
    const unload = await client.generate({ model: `${kb.slug}:latest`, prompt: '', keep_alive: 0 });
    expect(unload).toMatchObject({ done: true, done_reason: 'unload', response: '' });
    expect(t.fake.requestsTo('/api/chat')).toHaveLength(2);
  });

  it('cancels the Ollama request when the client aborts mid-stream, and stores nothing as complete', async () => {
    t.fake.configure({ tokenDelayMs: 100 });
    const db = t.app.get(DataSource);
    const [{ count: before }] = await db.query(
      `SELECT count(*)::int AS count FROM messages m JOIN conversations c ON c.id = m.conversation_id
        WHERE c.knowledge_base_id = $1 AND c.source = 'ollama' AND m.role = 'assistant'`,
      [kb.id],
    );
    const stream = await client.chat({
      model: `${kb.slug}:latest`,
      messages: [{ role: 'user', content: QUESTION }],
      stream: true,
    });
    const read = async () => {
      for await (const part of stream) {
        if (part.message.content) stream.abort();
      }
    };
    await expect(read()).rejects.toThrow(/abort/i);
    await t.fake.waitFor((fake) => fake.abortedChats === 1, 5_000);
    expect(t.fake.counts.completedChats).toBe(0);
    let statuses: string[] = [];
    for (let i = 0; i < 100 && statuses.length <= before; i++) {
      const rows: { status: string }[] = await db.query(
        `SELECT m.status FROM messages m JOIN conversations c ON c.id = m.conversation_id
          WHERE c.knowledge_base_id = $1 AND c.source = 'ollama' AND m.role = 'assistant' ORDER BY m.seq`,
        [kb.id],
      );
      statuses = rows.map((r) => r.status);
      if (statuses.length <= before) await new Promise((r) => setTimeout(r, 20));
    }
    expect(statuses[statuses.length - 1]).toBe('aborted');
  });

  it("answers errors in Ollama's shape with its status codes", async () => {
    const fail = (promise: Promise<unknown>) =>
      promise.then(() => null).catch((err: unknown) => err as ResponseErrorLike);

    const unknown = await fail(
      client.chat({ model: 'no-such-kb:latest', messages: [{ role: 'user', content: 'hi' }] }),
    );
    expect(unknown).toMatchObject({
      name: 'ResponseError',
      status_code: 404,
      error: 'model "no-such-kb:latest" not found',
    });
    // A knowledge base the key may not ask does not exist for it.
    const hidden = await fail(client.show({ model: `${otherKb.slug}:latest` }));
    expect(hidden).toMatchObject({ status_code: 404, error: `model "${otherKb.slug}:latest" not found` });

    const thinking = await fail(
      client.chat({ model: kb.slug, messages: [{ role: 'user', content: QUESTION }], think: true }),
    );
    expect(thinking).toMatchObject({ status_code: 400, error: expect.stringMatching(/does not support thinking/) });
    const tools = await fail(
      client.chat({
        model: kb.slug,
        messages: [{ role: 'user', content: QUESTION }],
        tools: [{ type: 'function', function: { name: 'f', description: 'f', parameters: { type: 'object' } } }],
      }),
    );
    expect(tools).toMatchObject({ status_code: 400, error: expect.stringMatching(/does not support tools/) });
    const format = await fail(
      client.chat({ model: kb.slug, messages: [{ role: 'user', content: QUESTION }], format: 'json' }),
    );
    expect(format).toMatchObject({ status_code: 400, error: expect.stringMatching(/structured output/) });
    const notUser = await fail(client.chat({ model: kb.slug, messages: [{ role: 'assistant', content: 'hi' }] }));
    expect(notUser).toMatchObject({ status_code: 400, error: expect.stringMatching(/last message must be a user/) });

    const missing = await request(t.url)
      .post('/ollama/api/chat')
      .set('Authorization', `Bearer ${scopedKey}`)
      .send({ messages: [] })
      .expect(400);
    expect(missing.body).toEqual({ error: 'model is required' });
    const noRoute = await request(t.url).post('/ollama/api/pull').set('Authorization', `Bearer ${scopedKey}`).send({});
    expect(noRoute.status).toBe(404);
    expect(noRoute.body).toEqual({ error: expect.any(String) });

    t.fake.configure({ failWith503: true });
    const busy = await fail(client.chat({ model: kb.slug, messages: [{ role: 'user', content: QUESTION }] }));
    expect(busy).toMatchObject({ status_code: 503, error: expect.stringMatching(/busy/) });
  });

  it('refuses a revoked key', async () => {
    const key = await createApiKey(t, adminToken, { knowledgeBaseIds: [kb.id], scopes: ['ask'] });
    const keyed = clientFor(key.secret);
    expect((await keyed.list()).models).toHaveLength(1);
    await request(t.url).delete(`/api/api-keys/${key.id}`).set('Authorization', `Bearer ${adminToken}`).expect(204);
    const refused = await keyed.list().then(
      () => null,
      (err: unknown) => err as ResponseErrorLike,
    );
    expect(refused).toMatchObject({ status_code: 401, error: expect.stringMatching(/revoked/) });
    const noKey = await request(t.url).get('/ollama/api/tags').expect(401);
    expect(noKey.body).toEqual({ error: expect.any(String) });
  });

  it('appends a short Sources list to the text when the knowledge base asks for it', async () => {
    await request(t.url)
      .patch(`/api/knowledge-bases/${kb.id}`)
      .set('Authorization', `Bearer ${adminToken}`)
      .send({ settings: { appendSources: true } })
      .expect(200);
    try {
      const answer = await client.chat({ model: kb.slug, messages: [{ role: 'user', content: QUESTION }] });
      expect(answer.message.content).toMatch(
        /\n\nSources:\n\[1\] R-intro\.pdf, page 12 — Output\n\[2\] R-intro\.pdf, page 13 — Output$/,
      );
      const stream = await client.chat({
        model: kb.slug,
        messages: [{ role: 'user', content: QUESTION }],
        stream: true,
      });
      let streamed = '';
      for await (const part of stream) streamed += part.message.content;
      expect(streamed).toBe(answer.message.content);
    } finally {
      await request(t.url)
        .patch(`/api/knowledge-bases/${kb.id}`)
        .set('Authorization', `Bearer ${adminToken}`)
        .send({ settings: { appendSources: false } })
        .expect(200);
    }
  });

  describe('raw HTTP, the way Open WebUI calls an Ollama connection', () => {
    const auth = () => ({ Authorization: `Bearer ${scopedKey}` });

    it('verifies the connection and lists the models', async () => {
      const version = await request(t.url).get('/ollama/api/version').set(auth()).expect(200);
      // Open WebUI parses the version as numbers.
      expect(version.body.version.split('.').map(Number).every(Number.isInteger)).toBe(true);
      const tags = await request(t.url).get('/ollama/api/tags').set(auth()).set('Content-Type', 'application/json');
      expect(tags.status).toBe(200);
      expect(tags.body.models.map((m: { model: string }) => m.model)).toEqual([`${kb.slug}:latest`]);
      const ps = await request(t.url).get('/ollama/api/ps').set(auth()).expect(200);
      expect(ps.body).toEqual({ models: [] });
    });

    it('streams /api/chat as NDJSON by default, with the fields Open WebUI sends', async () => {
      const res = await request(t.url)
        .post('/ollama/api/chat')
        .set(auth())
        .set('Content-Type', 'application/json')
        .send({
          model: `${kb.slug}:latest`,
          messages: [
            { role: 'system', content: 'Answer briefly.' },
            { role: 'user', content: QUESTION },
          ],
          options: { temperature: 0.3, num_keep: 5 },
          keep_alive: '5m',
          metadata: { chat_id: 'x' },
        })
        .buffer(true)
        .parse((r, done) => {
          let text = '';
          r.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
          r.on('end', () => done(null, text));
        });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/x-ndjson/);
      const lines = ndjsonLines(res.body as string);
      expect(lines.length).toBeGreaterThan(2);
      expect(lines.slice(0, -1).every((l) => l.done === false && typeof l.created_at === 'string')).toBe(true);
      expect(lines[lines.length - 1]).toMatchObject({ done: true, done_reason: 'stop', model: `${kb.slug}:latest` });
      expect(chatRequests()[0].options).toMatchObject({ temperature: 0.3 });
    });

    it('ends a stream that fails midway with an {"error"} line, without internals for members', async () => {
      const member = await createMember(t, adminToken);
      await grantMembership(t, adminToken, kb.id, member.user.id, 'read');
      const memberKey = await createApiKey(t, member.token, { knowledgeBaseIds: [kb.id], scopes: ['ask'] });
      const adminKey = await createApiKey(t, adminToken, { knowledgeBaseIds: [kb.id], scopes: ['ask'] });
      const failing = async (secret: string) => {
        t.fake.configure({ errorMidStream: 2 });
        const res = await request(t.url)
          .post('/ollama/api/chat')
          .set('Authorization', `Bearer ${secret}`)
          .send({ model: kb.slug, messages: [{ role: 'user', content: QUESTION }] })
          .buffer(true)
          .parse((r, done) => {
            let text = '';
            r.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
            r.on('end', () => done(null, text));
          });
        expect(res.status).toBe(200);
        const lines = ndjsonLines(res.body as string);
        return lines[lines.length - 1];
      };
      const forMember = await failing(memberKey.secret);
      expect(forMember).toEqual({ error: expect.stringMatching(/stopped midway/) });
      expect(String(forMember.error)).not.toContain(new URL(t.fake.url).host);
      const forAdmin = await failing(adminKey.secret);
      expect(String(forAdmin.error)).toContain(new URL(t.fake.url).host);
    });
  });
});
