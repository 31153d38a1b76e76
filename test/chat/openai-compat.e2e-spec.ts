import OpenAI from 'openai';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { createApiKey, loginAsAdmin, TEST_ADMIN } from '../support/auth-helpers';
import { createKnowledgeBase, R_OUTPUT_PASSAGES, seedDocument, SeededKb } from '../support/retrieval-fixtures';
import { startTestApp, TestApp } from '../support/test-app';

interface ChatBody {
  messages: { role: string; content: string }[];
  options: Record<string, unknown>;
}

/** Citations ride along on the OpenAI objects; the SDK's types do not know them. */
type WithCitations = {
  citations?: { index: number; chunkId: string; documentName: string; pageFrom: number | null }[];
};

/** The OpenAI-compatible API, driven by the official `openai` client, as Open WebUI or Chatbox would. */
describe('OpenAI-compatible API (/v1) with the official openai client', () => {
  let t: TestApp;
  let kb: SeededKb;
  let client: OpenAI;
  let sinkChunk: string;

  beforeAll(async () => {
    t = await startTestApp({
      role: 'api',
      env: { ADMIN_EMAIL: TEST_ADMIN.email, ADMIN_PASSWORD: TEST_ADMIN.password },
    });
    const admin = await loginAsAdmin(t);
    kb = await createKnowledgeBase(t, admin.headers, { name: 'R manual v1' });
    const doc = await seedDocument(t, kb.id, 'R-intro.pdf', R_OUTPUT_PASSAGES);
    sinkChunk = doc.chunkIds[0];
    // As a user would: an API key that may ask this knowledge base only.
    const key = await createApiKey(t, admin.token, { knowledgeBaseIds: [kb.id], scopes: ['ask'] });
    client = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: key.secret, maxRetries: 0 });
  });
  afterAll(async () => t?.close());
  beforeEach(() => t.fake.reset());

  const chatRequests = (): ChatBody[] => t.fake.requestsTo('/api/chat').map((r) => r.body as ChatBody);

  it('lists the knowledge bases the key may ask as models', async () => {
    const models = await client.models.list();
    expect(models.data).toEqual([expect.objectContaining({ id: kb.slug, object: 'model', owned_by: 'zhiku' })]);
    const one = await client.models.retrieve(kb.slug);
    expect(one.id).toBe(kb.slug);
  });

  it('answers a completion with citations on the response object', async () => {
    const completion = await client.chat.completions.create({
      model: kb.slug,
      messages: [{ role: 'user', content: 'How do I divert all subsequent output to a file?' }],
    });
    expect(completion.object).toBe('chat.completion');
    expect(completion.model).toBe(kb.slug);
    expect(completion.choices[0].message).toMatchObject({ role: 'assistant', content: expect.stringContaining('[1]') });
    expect(completion.choices[0].finish_reason).toBe('stop');
    expect(completion.usage).toEqual({
      prompt_tokens: expect.any(Number),
      completion_tokens: expect.any(Number),
      total_tokens: expect.any(Number),
    });
    const { citations } = completion as unknown as WithCitations;
    expect(citations?.[0]).toMatchObject({ index: 1, chunkId: sinkChunk, documentName: 'R-intro.pdf', pageFrom: 12 });
  });

  it('streams chunks the client reads, with the citations and usage on the last ones', async () => {
    const stream = await client.chat.completions.create({
      model: kb.slug,
      messages: [{ role: 'user', content: 'How do I divert all subsequent output to a file?' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const content = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
    expect(content).toMatch(/^According to the sources: ".*record\.lis.*" \[1\]\. See also \[2\]\.$/);
    expect(chunks[0].choices[0].delta.role).toBe('assistant');
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    const finish = chunks.find((c) => c.choices[0]?.finish_reason);
    expect(finish?.choices[0].finish_reason).toBe('stop');
    expect((finish as unknown as WithCitations).citations?.map((c) => c.index)).toEqual([1, 2]);
    expect(chunks[chunks.length - 1]).toMatchObject({ choices: [], usage: { total_tokens: expect.any(Number) } });
  });

  it('takes earlier messages as history and passes temperature, top_p and max_tokens through to Ollama', async () => {
    await client.chat.completions.create({
      model: kb.slug,
      messages: [
        { role: 'system', content: 'You are a pirate.' },
        { role: 'user', content: 'How do I divert output to a file?' },
        { role: 'assistant', content: 'Use sink("file") [1].' },
        { role: 'user', content: 'And how do I restore it to the console?' },
      ],
      temperature: 0.7,
      top_p: 0.9,
      max_tokens: 5,
    });
    const [rewrite, answer] = chatRequests();
    expect(rewrite.messages[1].content).toContain('Follow-up question: And how do I restore it to the console?');
    expect(answer.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(answer.messages[0].content).not.toContain('pirate');
    expect(answer.options).toMatchObject({ temperature: 0.7, top_p: 0.9, num_predict: 5, num_ctx: 8192 });
  });

  it('reports a cut answer as finish_reason "length"', async () => {
    const completion = await client.chat.completions.create({
      model: kb.slug,
      messages: [{ role: 'user', content: 'How do I divert output to a file?' }],
      max_tokens: 3,
    });
    expect(completion.choices[0].finish_reason).toBe('length');
  });

  it("answers errors in OpenAI's shape, which the client turns into its error classes", async () => {
    const unknown = await client.chat.completions
      .create({ model: 'no-such-kb', messages: [{ role: 'user', content: 'hi' }] })
      .catch((err: unknown) => err);
    expect(unknown).toBeInstanceOf(OpenAI.NotFoundError);

    const empty = await client.chat.completions.create({ model: kb.slug, messages: [] }).catch((err: unknown) => err);
    expect(empty).toBeInstanceOf(OpenAI.BadRequestError);
    expect((empty as InstanceType<typeof OpenAI.BadRequestError>).error).toMatchObject({
      type: 'invalid_request_error',
      code: 'validation_failed',
    });

    const notUser = await client.chat.completions
      .create({ model: kb.slug, messages: [{ role: 'assistant', content: 'hi' }] })
      .catch((err: unknown) => err);
    expect(notUser).toBeInstanceOf(OpenAI.BadRequestError);
    expect((notUser as Error).message).toMatch(/last message must be a user message/);

    t.fake.configure({ failWith503: true });
    const busy = await client.chat.completions
      .create({ model: kb.slug, messages: [{ role: 'user', content: 'How do I divert output?' }] })
      .catch((err: unknown) => err);
    expect(busy).toBeInstanceOf(OpenAI.InternalServerError);
    expect(busy).toMatchObject({ status: 503, code: 'ollama_busy', type: 'api_error' });
  });

  it('raises a failure in the middle of a stream in the client', async () => {
    t.fake.configure({ errorMidStream: 2 });
    const stream = await client.chat.completions.create({
      model: kb.slug,
      messages: [{ role: 'user', content: 'How do I divert output to a file?' }],
      stream: true,
    });
    const read = async () => {
      for await (const chunk of stream) void chunk;
    };
    await expect(read()).rejects.toThrow(/unexpected EOF/);
  });

  it('cancels the Ollama request when the client stops reading mid-stream, and stores the answer as aborted', async () => {
    t.fake.configure({ tokenDelayMs: 100 });
    const stream = await client.chat.completions.create({
      model: kb.slug,
      messages: [{ role: 'user', content: 'How do I divert output to a file?' }],
      stream: true,
    });
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta?.content) break; // the SDK aborts the request
    }
    await t.fake.waitFor((fake) => fake.abortedChats === 1, 5_000);
    expect(t.fake.counts.completedChats).toBe(0);
    const db = t.app.get(DataSource);
    let status: string | undefined;
    for (let i = 0; i < 100 && status !== 'aborted'; i++) {
      [{ status } = { status: undefined }] = await db.query(
        `SELECT m.status FROM messages m JOIN conversations c ON c.id = m.conversation_id
          WHERE c.knowledge_base_id = $1 AND m.role = 'assistant' ORDER BY m.seq DESC LIMIT 1`,
        [kb.id],
      );
      if (status !== 'aborted') await new Promise((r) => setTimeout(r, 20));
    }
    expect(status).toBe('aborted');
  });

  it('accepts fields it does not use, as OpenAI-compatible servers do', async () => {
    const res = await request(t.url)
      .post('/v1/chat/completions')
      .set('Authorization', `Bearer ${client.apiKey}`)
      .send({
        model: kb.slug,
        messages: [{ role: 'user', content: [{ type: 'text', text: 'divert output' }] }],
        n: 1,
        user: 'x',
        seed: 3,
      })
      .expect(200);
    expect(res.body.choices[0].message.content).toContain('[1]');
  });
});
