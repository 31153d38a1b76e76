import { fakeAnswer, fakeEmbedding, findSources } from './fake-generators';
import { FakeOllama } from './fake-ollama.server';

/** The fake itself: protocol details the client spec does not reach, and its switches over HTTP. */
describe('fake Ollama', () => {
  let fake: FakeOllama;

  const post = (path: string, body: unknown): Promise<Response> =>
    fetch(fake.url + path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
  const norm = (v: number[]): number => Math.hypot(...v);
  const dot = (a: number[], b: number[]): number => a.reduce((sum, x, i) => sum + x * b[i], 0);

  beforeAll(async () => {
    fake = await FakeOllama.start({ port: 0 });
  });
  afterAll(() => fake.stop());
  afterEach(() => fake.reset());

  it('answers GET and HEAD / like Ollama', async () => {
    const get = await fetch(fake.url + '/');
    expect(await get.text()).toBe('Ollama is running');
    const head = await fetch(fake.url + '/', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await (await fetch(fake.url + '/api/version')).json()).toEqual({ version: '0.12.7' });
  });

  it("uses Ollama's error wording and statuses", async () => {
    const chat = await post('/api/chat', { model: 'nope', messages: [{ role: 'user', content: 'hi' }] });
    expect([chat.status, await chat.json()]).toEqual([404, { error: "model 'nope' not found" }]);
    const embed = await post('/api/embed', { model: 'nope', input: 'x' });
    expect([embed.status, await embed.json()]).toEqual([
      404,
      { error: 'model "nope" not found, try pulling it first' },
    ]);
    const bad = await post('/api/embed', { model: 'bge-m3', input: [1, 2] });
    expect([bad.status, await bad.json()]).toEqual([400, { error: 'invalid input type' }]);
    const empty = await fetch(fake.url + '/api/chat', { method: 'POST' });
    expect([empty.status, await empty.json()]).toEqual([400, { error: 'missing request body' }]);
    const unknown = await fetch(fake.url + '/api/nothing');
    expect([unknown.status, await unknown.text()]).toEqual([404, '404 page not found']);
  });

  it('legacy /api/embeddings is not normalised; /api/embed is', async () => {
    const legacy = (await (await post('/api/embeddings', { model: 'bge-m3', prompt: 'hello world' })).json()) as {
      embedding: number[];
    };
    const modern = (await (await post('/api/embed', { model: 'bge-m3', input: 'hello world' })).json()) as {
      embeddings: number[][];
    };
    expect(norm(legacy.embedding)).toBeGreaterThan(1.5);
    expect(norm(modern.embeddings[0])).toBeCloseTo(1, 4);
    expect(dot(legacy.embedding, modern.embeddings[0]) / norm(legacy.embedding)).toBeCloseTo(1, 4);
  });

  it('/api/embed honours dimensions and answers an empty input with no embeddings', async () => {
    const cut = (await (await post('/api/embed', { model: 'bge-m3', input: ['a b c'], dimensions: 256 })).json()) as {
      embeddings: number[][];
    };
    expect(cut.embeddings[0]).toHaveLength(256);
    expect(norm(cut.embeddings[0])).toBeCloseTo(1, 4);
    expect(await (await post('/api/embed', { model: 'bge-m3', input: '' })).json()).toMatchObject({
      model: 'bge-m3',
      embeddings: [],
    });
  });

  it('embeds deterministically, sharing words or Chinese character pairs means closer', () => {
    const d = 1024;
    expect(fakeEmbedding('Same text', d)).toEqual(fakeEmbedding('same   TEXT!', d));
    const q = fakeEmbedding('vector databases', d);
    expect(dot(q, fakeEmbedding('a vector database stores embeddings', d))).toBeGreaterThan(
      dot(q, fakeEmbedding('the weather is sunny today', d)) + 0.3,
    );
    const zh = fakeEmbedding('向量数据库', d);
    expect(dot(zh, fakeEmbedding('向量数据库存储嵌入', d))).toBeGreaterThan(
      dot(zh, fakeEmbedding('今天天气晴朗', d)) + 0.3,
    );
    const empty = fakeEmbedding('', d);
    expect(norm(empty)).toBeCloseTo(1, 6);
  });

  it("answers from numbered sources, in the question's language, and rewrites follow-ups", () => {
    const sources = '[1] 知库支持 PDF、Word 和 Markdown 文档。\n[2] 文档上传后自动切分。';
    expect(findSources([{ role: 'system', content: sources }]).get(2)).toBe('文档上传后自动切分。');
    expect(
      fakeAnswer([
        { role: 'system', content: sources },
        { role: 'user', content: '支持哪些格式？' },
      ]),
    ).toBe('根据资料：“知库支持 PDF、Word 和 Markdown 文档。” [1]，另见 [2]。');
    expect(fakeAnswer([{ role: 'user', content: 'What is the capital of Mars?' }])).toMatch(/^I don't know/);
    expect(
      fakeAnswer([
        { role: 'system', content: 'Rewrite the follow-up question into a standalone question.' },
        { role: 'user', content: 'History:\nuser: what is zhiku?\n\nFollow-up question: how do I install it?' },
      ]),
    ).toBe('how do I install it?');
    // Only the system prompt asks for a rewrite: a user may type the word in a question.
    expect(
      fakeAnswer([
        { role: 'system', content: sources },
        { role: 'user', content: 'Can zhiku run standalone?' },
      ]),
    ).toMatch(/^According to the sources: .* \[1\]/);
  });

  it('streams NDJSON ending in done with metrics, and obeys num_predict', async () => {
    const res = await post('/api/chat', {
      model: 'qwen2.5:7b',
      messages: [{ role: 'user', content: 'Q\n[1] some source text' }],
      options: { num_predict: 3 },
    });
    expect(res.headers.get('content-type')).toBe('application/x-ndjson');
    const lines = (await res.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(4);
    expect(lines[3]).toMatchObject({ done: true, done_reason: 'length', eval_count: 3 });
    expect(lines[3].prompt_eval_count).toBeGreaterThan(0);
  });

  it('thinks on a thinking model unless think is false', async () => {
    const messages = [{ role: 'user', content: 'hi' }];
    const thinking = (await (await post('/api/chat', { model: 'qwen3:0.6b', messages, stream: false })).json()) as {
      message: { thinking?: string };
    };
    expect(thinking.message.thinking).toBeTruthy();
    const plain = (await (
      await post('/api/chat', { model: 'qwen3:0.6b', messages, stream: false, think: false })
    ).json()) as { message: { thinking?: string } };
    expect(plain.message.thinking).toBeUndefined();
    const refused = await post('/api/chat', { model: 'qwen2.5:7b', messages, think: true });
    expect([refused.status, await refused.json()]).toEqual([400, { error: '"qwen2.5:7b" does not support thinking' }]);
  });

  it('takes switches over HTTP, records requests and resets', async () => {
    await post('/__fake/config', { failNextN: 2, failNextRoute: '/api/tags' });
    expect((await fetch(fake.url + '/api/tags')).status).toBe(503);
    expect((await fetch(fake.url + '/api/version')).status).toBe(200);
    expect((await fetch(fake.url + '/api/tags')).status).toBe(503);
    expect((await fetch(fake.url + '/api/tags')).status).toBe(200);
    const seen = (await (await fetch(fake.url + '/__fake/requests')).json()) as {
      counters: { requestsByRoute: Record<string, number> };
    };
    expect(seen.counters.requestsByRoute['GET /api/tags']).toBe(3);
    expect((await post('/__fake/config', { noSuchSwitch: 1 })).status).toBe(400);
    await post('/__fake/reset', {});
    expect(fake.requests).toHaveLength(0);
  });

  it('hides missing models until they are pulled', async () => {
    fake.configure({ missingModels: ['bge-m3'] });
    const names = async (): Promise<string[]> =>
      ((await (await fetch(fake.url + '/api/tags')).json()) as { models: Array<{ name: string }> }).models.map(
        (m) => m.name,
      );
    expect(await names()).not.toContain('bge-m3:latest');
    expect(await (await post('/api/pull', { name: 'bge-m3', stream: false })).json()).toEqual({ status: 'success' });
    expect(await names()).toContain('bge-m3:latest');
  });
});
