import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import request from 'supertest';
import { createApiKey, loginAsAdmin, TEST_ADMIN, TestApiKey } from '../support/auth-helpers';
import { createKnowledgeBase, seedDocument, SeededKb } from '../support/retrieval-fixtures';
import { startTestApp, TestApp } from '../support/test-app';

interface ToolResult {
  content: { type: string; text: string }[];
  structuredContent?: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  isError?: boolean;
}

/** The MCP server at /mcp, driven by the SDK's own client over Streamable HTTP, as Claude Desktop or Cursor would. */
describe('MCP server (/mcp) with the official MCP SDK client', () => {
  let t: TestApp;
  let admin: Awaited<ReturnType<typeof loginAsAdmin>>;
  let kb: SeededKb;
  let zhKb: SeededKb;
  let sinkChunk: string;
  let allKey: TestApiKey;
  const clients: Client[] = [];

  /** A connected client sending `Authorization: Bearer <secret>` on every request. */
  async function connect(secret: string): Promise<Client> {
    const client = new Client({ name: 'zhiku-e2e', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(`${t.url}/mcp`), {
      requestInit: { headers: { Authorization: `Bearer ${secret}` } },
    });
    await client.connect(transport);
    clients.push(client);
    return client;
  }

  async function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<ToolResult> {
    return (await client.callTool({ name, arguments: args })) as ToolResult;
  }

  beforeAll(async () => {
    t = await startTestApp({
      role: 'api',
      env: { ADMIN_EMAIL: TEST_ADMIN.email, ADMIN_PASSWORD: TEST_ADMIN.password },
    });
    admin = await loginAsAdmin(t);
    kb = await createKnowledgeBase(t, admin.headers, { name: 'R manual MCP' });
    const doc = await seedDocument(t, kb.id, 'R-intro.pdf', [
      {
        title: 'Output',
        content:
          'The function sink("record.lis") will divert all subsequent output from the console to an external file.',
        page: 12,
      },
      { title: 'Output', content: 'sink() on its own restores output to the console after diverting it.', page: 13 },
      { title: 'Sequences', content: 'The function seq() generates regular sequences of numbers.', page: 7 },
    ]);
    sinkChunk = doc.chunkIds[0];
    zhKb = await createKnowledgeBase(t, admin.headers, { name: '排版手册 MCP' });
    await seedDocument(t, zhKb.id, '中文排版.pdf', [
      { title: '标点', content: '中文排版时，标点符号应使用全角字符，句号为“。”。', page: 3 },
    ]);
    allKey = await createApiKey(t, admin.token, { knowledgeBaseIds: 'all', scopes: ['ask'] });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    await t?.close();
  });
  beforeEach(() => t.fake.reset());

  it('lists its three tools with input schemas and descriptions an agent can use', async () => {
    const client = await connect(allKey.secret);
    expect(client.getServerVersion()).toMatchObject({ name: 'zhiku' });
    expect(client.getInstructions()).toContain('list_knowledge_bases');
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(['ask', 'list_knowledge_bases', 'search']);
    const search = tools.find((tool) => tool.name === 'search');
    expect(search?.description).toMatch(/passages/);
    expect(search?.inputSchema).toMatchObject({
      type: 'object',
      required: expect.arrayContaining(['knowledgeBase', 'query']),
      properties: {
        knowledgeBase: { type: 'string', description: expect.stringContaining('slug') },
        mode: { enum: ['hybrid', 'vector', 'keyword'] },
        topK: { type: 'integer', minimum: 1, maximum: 50 },
      },
    });
    const ask = tools.find((tool) => tool.name === 'ask');
    expect(ask?.inputSchema.required).toEqual(expect.arrayContaining(['knowledgeBase', 'question']));
    expect(ask?.inputSchema.properties).toHaveProperty('conversationId');
  });

  it('lists the knowledge bases the key may ask', async () => {
    const client = await connect(allKey.secret);
    const result = await call(client, 'list_knowledge_bases');
    expect(result.isError).toBeFalsy();
    const listed = result.structuredContent?.knowledgeBases as { id: string; slug: string; documents: number }[];
    expect(listed).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: kb.id, slug: kb.slug, name: 'R manual MCP', documents: 1, passages: 3 }),
        expect.objectContaining({ id: zhKb.id, slug: zhKb.slug }),
      ]),
    );
    expect(result.content[0].text).toContain(`R manual MCP (slug: ${kb.slug}, id: ${kb.id})`);
  });

  it('searches by id, slug or name: passages with document, pages, heading and scores', async () => {
    const client = await connect(allKey.secret);
    for (const ref of [kb.id, kb.slug, 'r manual mcp']) {
      const result = await call(client, 'search', { knowledgeBase: ref, query: 'divert output to a file', topK: 2 });
      expect(result.isError).toBeFalsy();
      const passages = result.structuredContent?.passages;
      expect(passages).toHaveLength(2);
      expect(passages[0]).toMatchObject({
        index: 1,
        chunkId: sinkChunk,
        document: 'R-intro.pdf',
        pageFrom: 12,
        pageTo: 12,
        heading: 'Output',
        content: expect.stringContaining('sink("record.lis")'),
        score: expect.any(Number),
        vectorScore: expect.any(Number),
        keywordScore: expect.any(Number),
      });
      expect(result.content[0].text).toContain('[1] R-intro.pdf, p. 12 — Output');
    }
    const keyword = await call(client, 'search', { knowledgeBase: zhKb.slug, query: '标点符号', mode: 'keyword' });
    expect(keyword.structuredContent?.passages[0]).toMatchObject({ document: '中文排版.pdf', vectorScore: null });
  });

  it('asks: an answer with citations, and a follow-up in the same conversation', async () => {
    const client = await connect(allKey.secret);
    const first = await call(client, 'ask', { knowledgeBase: kb.slug, question: 'How do I divert output to a file?' });
    expect(first.isError).toBeFalsy();
    const answer = first.structuredContent as { answer: string; citations: any[]; conversationId: string }; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(answer.answer).toMatch(/record\.lis.*\[1\]/);
    expect(answer.citations[0]).toMatchObject({ index: 1, chunkId: sinkChunk, document: 'R-intro.pdf', pageFrom: 12 });
    expect(first.content[0].text).toContain('Sources:\n[1] R-intro.pdf, p. 12 — Output');
    expect(first.content[0].text).toContain(answer.conversationId);

    const followUp = await call(client, 'ask', {
      knowledgeBase: kb.id,
      question: 'And how do I restore it?',
      conversationId: answer.conversationId,
    });
    expect(followUp.isError).toBeFalsy();
    expect(followUp.structuredContent?.conversationId).toBe(answer.conversationId);
    const stored = await request(t.url).get(`/api/conversations/${answer.conversationId}`).set(admin.headers);
    expect(stored.body.messages.filter((m: { role: string }) => m.role === 'user')).toHaveLength(2);

    const zh = await call(client, 'ask', { knowledgeBase: '排版手册 MCP', question: '中文的句号怎么写？' });
    expect(zh.structuredContent?.answer).toMatch(/^根据资料/);
  });

  it('keeps a key scoped to one knowledge base to that one', async () => {
    const scoped = await createApiKey(t, admin.token, { knowledgeBaseIds: [kb.id], scopes: ['ask'] });
    const client = await connect(scoped.secret);
    const listed = await call(client, 'list_knowledge_bases');
    expect(listed.structuredContent?.knowledgeBases.map((k: { id: string }) => k.id)).toEqual([kb.id]);
    for (const ref of [zhKb.id, zhKb.slug, '排版手册 MCP']) {
      const refused = await call(client, 'ask', { knowledgeBase: ref, question: '句号怎么写？' });
      expect(refused.isError).toBe(true);
      expect(refused.content[0].text).toMatch(/no knowledge base .* that you may ask\. You may ask: R manual MCP/);
    }
    expect(t.fake.requestsTo('/api/chat')).toHaveLength(0);
    expect((await call(client, 'search', { knowledgeBase: kb.slug, query: 'sink' })).isError).toBeFalsy();
  });

  it('refuses a revoked key at the door, also for a client that was already connected', async () => {
    const key = await createApiKey(t, admin.token, { knowledgeBaseIds: 'all', scopes: ['ask'] });
    const client = await connect(key.secret);
    await request(t.url).delete(`/api/api-keys/${key.id}`).set(admin.headers).expect(204);
    await expect(call(client, 'list_knowledge_bases')).rejects.toThrow(/401/);
    await expect(connect(key.secret)).rejects.toThrow(/401/);
    await expect(connect('zk_not-a-key')).rejects.toThrow(/401/);
  });

  it('needs the ask scope to search or ask', async () => {
    const writeOnly = await createApiKey(t, admin.token, { knowledgeBaseIds: 'all', scopes: ['write'] });
    const client = await connect(writeOnly.secret);
    const refused = await call(client, 'ask', { knowledgeBase: kb.slug, question: 'How do I divert output?' });
    expect(refused).toMatchObject({ isError: true, content: [{ text: expect.stringContaining('"ask" scope') }] });
  });

  it('reports bad arguments as tool errors that name the problem', async () => {
    const client = await connect(allKey.secret);
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ knowledgeBase: kb.slug, query: 'sink', topK: 0 }, /topK must be at least 1/],
      [{ knowledgeBase: kb.slug, query: 'sink', topK: 2.5 }, /topK must be a whole number/],
      [{ knowledgeBase: kb.slug, query: 'sink', mode: 'fuzzy' }, /mode must be one of hybrid, vector, keyword/],
      [{ knowledgeBase: kb.slug, query: '   ' }, /query must not be empty/],
      [{ query: 'sink' }, /knowledgeBase is required/],
      [{ knowledgeBase: kb.slug }, /query is required/],
      [{ knowledgeBase: 'no-such-kb', query: 'sink' }, /no knowledge base "no-such-kb"/],
    ];
    for (const [args, message] of cases) {
      const result = await call(client, 'search', args);
      expect(result.isError).toBe(true);
      expect(result.content[0].text).toMatch(message);
    }
    const badConversation = await call(client, 'ask', {
      knowledgeBase: kb.slug,
      question: 'sink?',
      conversationId: 'yesterday',
    });
    expect(badConversation.content[0].text).toMatch(
      /conversationId must be the conversationId an earlier ask returned/,
    );
  });

  it('tells the agent plainly when Ollama is down', async () => {
    const client = await connect(allKey.secret);
    t.fake.configure({ failWith503: true });
    const result = await call(client, 'ask', { knowledgeBase: kb.slug, question: 'How do I divert output?' });
    expect(result.isError).toBe(true);
    expect(result.content[0].text).toMatch(/Ollama/);
  });

  it('answers GET and DELETE with 405 (stateless: no stream, no session)', async () => {
    await request(t.url).get('/mcp').set(allKey.headers).expect(405);
    await request(t.url).delete('/mcp').set(allKey.headers).expect(405);
    await request(t.url).get('/mcp').expect(401);
  });
});
