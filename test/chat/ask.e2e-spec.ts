import * as net from 'node:net';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { segmentForKeywords } from '../../src/common/text/keyword-segmenter';
import { createMember, loginAsAdmin, TEST_ADMIN } from '../support/auth-helpers';
import {
  createKnowledgeBase,
  openEventStream,
  readAllEvents,
  seedDocument,
  SeededKb,
} from '../support/retrieval-fixtures';
import { startTestApp, TestApp } from '../support/test-app';

const ADMIN_ENV = { ADMIN_EMAIL: TEST_ADMIN.email, ADMIN_PASSWORD: TEST_ADMIN.password };

/** A loopback port nobody listens on: "Ollama is down". */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface ChatBody {
  model: string;
  messages: { role: string; content: string }[];
  options: Record<string, unknown>;
}

/**
 * Asking over REST, answered by the fake Ollama (which quotes source [1] and cites [1] and [2]): JSON and
 * SSE, citations, conversations and follow-ups, the trace, the no-hit path, the context budget, and what
 * happens when the client leaves or Ollama fails.
 */
describe('ask: grounded answers with citations (REST)', () => {
  let t: TestApp;
  let headers: Record<string, string>;
  let kb: SeededKb;
  let zhKb: SeededKb;
  const chunk: Record<string, string> = {};

  beforeAll(async () => {
    t = await startTestApp({ role: 'api', env: ADMIN_ENV });
    headers = (await loginAsAdmin(t)).headers;
    kb = await createKnowledgeBase(t, headers, { name: 'R manual' });
    const manual = await seedDocument(t, kb.id, 'R-intro.pdf', [
      {
        title: 'Output',
        content:
          'The function sink("record.lis") will divert all subsequent output from the console to an external file.',
        page: 12,
      },
      {
        title: 'Missing values',
        content: 'is.na(xx) is TRUE both for NA and NaN values. is.nan(xx) is only TRUE for NaNs.',
        page: 17,
      },
      {
        title: 'Sequences',
        content: 'The function seq() generates regular sequences of numbers, for example seq(1, 10, by = 2).',
        page: 7,
      },
      {
        title: 'Output',
        content: 'sink() on its own restores output to the console after it was diverted to a file.',
        page: 13,
      },
    ]);
    [chunk.sink, chunk.nan, chunk.seq, chunk.restore] = manual.chunkIds;
    zhKb = await createKnowledgeBase(t, headers, { name: 'LaTeX 笔记' });
    const notes = await seedDocument(t, zhKb.id, 'latex-notes-zh-cn.pdf', [
      {
        title: '中文排版',
        content: '使用 ctex 宏包可以方便地排版中文文档，它会自动设置中文字体和标点压缩。',
        page: 21,
      },
      { title: '数学公式', content: '行内公式用美元符号包围，单独成行的公式使用 equation 环境并自动编号。', page: 40 },
    ]);
    chunk.ctex = notes.chunkIds[0];
  });
  afterAll(async () => t?.close());
  beforeEach(() => t.fake.reset());

  const ask = (body: Record<string, unknown>, kbId = kb.id) =>
    request(t.url).post(`/api/knowledge-bases/${kbId}/ask`).set(headers).send(body);
  const chatRequests = (): ChatBody[] => t.fake.requestsTo('/api/chat').map((r) => r.body as ChatBody);

  it('answers in JSON from the best passages, citing them with document and page', async () => {
    const res = await ask({ question: 'How do I divert all subsequent output to a file?' }).expect(200);
    expect(res.body).toEqual({
      answer: expect.stringMatching(/^According to the sources: ".*record\.lis.*" \[1\]\. See also \[2\]\.$/),
      citations: [
        expect.objectContaining({
          index: 1,
          chunkId: chunk.sink,
          documentName: 'R-intro.pdf',
          pageFrom: 12,
          pageTo: 12,
          snippet: expect.stringContaining('sink("record.lis")'),
        }),
        expect.objectContaining({ index: 2, documentName: 'R-intro.pdf' }),
      ],
      conversationId: expect.any(String),
      messageId: expect.any(String),
      usage: { promptTokens: expect.any(Number), completionTokens: expect.any(Number) },
      timings: { retrievalMs: expect.any(Number), firstTokenMs: expect.any(Number), totalMs: expect.any(Number) },
    });
    // The quote the model made comes from the passage cited as [1].
    expect(res.body.answer).toContain('sink("record.lis")');

    // One chat call, with num_ctx, the numbered sources and the question, in the prompt's language.
    const [chat] = chatRequests();
    expect(chat.model).toBe('qwen2.5:7b');
    expect(chat.options.num_ctx).toBe(8192);
    expect(chat.messages[0]).toMatchObject({ role: 'system', content: expect.stringContaining('cite it as [n]') });
    const prompt = chat.messages[chat.messages.length - 1].content;
    expect(prompt).toMatch(/^Sources:\n\n\[1\] R-intro\.pdf, page 12 — Output\nThe function sink/);
    expect(prompt).toMatch(/\n\nQuestion: How do I divert all subsequent output to a file\?$/);

    const stored = await request(t.url).get(`/api/conversations/${res.body.conversationId}`).set(headers).expect(200);
    expect(stored.body).toMatchObject({
      id: res.body.conversationId,
      knowledgeBaseId: kb.id,
      title: 'How do I divert all subsequent output to a file?',
    });
    expect(stored.body.messages).toEqual([
      expect.objectContaining({
        role: 'user',
        content: 'How do I divert all subsequent output to a file?',
        status: 'complete',
      }),
      expect.objectContaining({
        id: res.body.messageId,
        role: 'assistant',
        content: res.body.answer,
        status: 'complete',
        citations: res.body.citations,
        usage: res.body.usage,
      }),
    ]);
  });

  it('streams sources, deltas and done as Server-Sent Events (stream: true or Accept)', async () => {
    const question = 'What does the function is.nan return for NA values?';
    for (const body of [{ question, stream: true }, { question }]) {
      const stream = await openEventStream(`${t.url}/api/knowledge-bases/${kb.id}/ask`, body, headers);
      expect(stream.status).toBe(200);
      expect(stream.contentType).toMatch(/^text\/event-stream/);
      const events = await readAllEvents(stream.events);
      const names = events.map((e) => e.event);
      expect(names[0]).toBe('sources');
      expect(names[names.length - 1]).toBe('done');
      expect(names.slice(1, -1).every((n) => n === 'delta')).toBe(true);
      expect(names.length).toBeGreaterThan(5);
      const sources = events[0].data;
      expect(sources.citations[0]).toMatchObject({ index: 1, chunkId: chunk.nan, pageFrom: 17 });
      expect(sources.citations.length).toBeGreaterThanOrEqual(2);
      const done = events[events.length - 1].data;
      const streamed = events
        .filter((e) => e.event === 'delta')
        .map((e) => e.data.content)
        .join('');
      expect(done.answer).toBe(streamed);
      // Only what the answer cites, though more sources were given.
      expect(done.citations.map((c: { index: number }) => c.index)).toEqual([1, 2]);
      expect(done).toMatchObject({ conversationId: sources.conversationId, messageId: sources.messageId });
    }
  });

  it('adds sentence events for speech with "sentences": each sentence once, together the answer', async () => {
    const withoutMarks = (text: string) => text.replace(/\s*\[\d+\]/g, '').replace(/\s+/g, '');
    const cases: [string, string][] = [
      [kb.id, 'What does the function is.nan return for NA values?'],
      [zhKb.id, '怎样排版中文文档？'],
    ];
    for (const [kbId, question] of cases) {
      const url = `${t.url}/api/knowledge-bases/${kbId}/ask`;
      const stream = await openEventStream(url, { question, stream: true, sentences: true }, headers);
      const events = await readAllEvents(stream.events);
      const sentences = events.filter((e) => e.event === 'sentence').map((e) => e.data);
      const done = events[events.length - 1];
      expect(done.event).toBe('done');
      expect(sentences.length).toBeGreaterThanOrEqual(kbId === kb.id ? 2 : 1);
      expect(sentences.map((s) => s.index)).toEqual(sentences.map((_s, i) => i));
      expect(withoutMarks(sentences.map((s) => s.text).join(''))).toBe(withoutMarks(done.data.answer));
      expect(sentences.some((s) => /\[\d+\]/.test(s.text))).toBe(false);
      if (sentences.length > 1) {
        // The first sentence is out while the answer is still streaming.
        const names = events.map((e) => e.event);
        expect(names.indexOf('sentence')).toBeLessThan(names.lastIndexOf('delta'));
      }
      expect(sentences.flatMap((s) => s.citations)).toEqual(done.data.citations.map((c: { index: number }) => c.index));
    }
    const plain = await openEventStream(
      `${t.url}/api/knowledge-bases/${kb.id}/ask`,
      { question: 'seq', stream: true },
      headers,
    );
    expect((await readAllEvents(plain.events)).some((e) => e.event === 'sentence')).toBe(false);
  });

  it('keeps only citations of sources that were really given to the model', async () => {
    const res = await ask({ question: 'divert output to a file', topK: 1 }).expect(200);
    // The fake cites [1] and, if there is one, [2]: with one source there is no [2] to keep.
    expect(res.body.citations.map((c: { index: number }) => c.index)).toEqual([1]);
  });

  it('answers a Chinese question in Chinese, with Chinese sources and prompt', async () => {
    const res = await ask({ question: '怎样排版中文文档？' }, zhKb.id).expect(200);
    expect(res.body.answer).toMatch(/^根据资料：“.*ctex.*” \[1\]/);
    expect(res.body.citations[0]).toMatchObject({
      chunkId: chunk.ctex,
      documentName: 'latex-notes-zh-cn.pdf',
      pageFrom: 21,
    });
    const [chat] = chatRequests();
    expect(chat.messages[0].content).toContain('用提问所用的语言回答');
    expect(chat.messages[1].content).toMatch(/^资料：\n\n\[1\] 《latex-notes-zh-cn\.pdf》 第 21 页 — 中文排版\n/);
    expect(chat.messages[1].content).toMatch(/问题：怎样排版中文文档？$/);
  });

  it('continues a conversation: the follow-up is rewritten for search and the history goes into the prompt', async () => {
    const first = await ask({ question: 'How do I divert all subsequent output to a file?' }).expect(200);
    t.fake.reset();
    const second = await ask({
      question: 'And how do I restore it to the console?',
      conversationId: first.body.conversationId,
    }).expect(200);
    expect(second.body.conversationId).toBe(first.body.conversationId);

    const [rewrite, answer] = chatRequests();
    expect(rewrite.messages[0].content).toMatch(/standalone search query/);
    expect(rewrite.options).toMatchObject({ num_ctx: 8192, temperature: 0 });
    expect(rewrite.messages[1].content).toContain('How do I divert all subsequent output to a file?');
    expect(rewrite.messages[1].content).toMatch(/Follow-up question: And how do I restore it to the console\?$/);
    expect(answer.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(answer.messages[1].content).toBe('How do I divert all subsequent output to a file?');
    expect(answer.messages[2].content).toBe(first.body.answer);
    expect(second.body.citations[0].chunkId).toBe(chunk.restore);

    const trace = await request(t.url)
      .get(`/api/conversations/${second.body.conversationId}/messages/${second.body.messageId}/trace`)
      .set(headers)
      .expect(200);
    expect(trace.body).toMatchObject({
      question: 'And how do I restore it to the console?',
      // The fake model hands the follow-up back unchanged; a real one resolves "it".
      searchQuery: 'And how do I restore it to the console?',
      rewrite: { query: 'And how do I restore it to the console?', ms: expect.any(Number), model: 'qwen2.5:7b' },
      historyMessages: 2,
      status: 'complete',
    });
    const stored = await request(t.url).get(`/api/conversations/${first.body.conversationId}`).set(headers).expect(200);
    expect(stored.body.messages).toHaveLength(4);
  });

  it('keeps each question with its own answer when several asks in one conversation run at once', async () => {
    const first = await ask({ question: 'How do I divert all subsequent output to a file?' }).expect(200);
    const conversationId: string = first.body.conversationId;
    const questions = Array.from({ length: 6 }, (_, i) => `Follow-up number ${i + 1}: and how do I restore it?`);
    const answers = await Promise.all(questions.map((question) => ask({ question, conversationId }).expect(200)));

    const stored = await request(t.url).get(`/api/conversations/${conversationId}`).set(headers).expect(200);
    const messages: Array<{ id: string; role: string; content: string }> = stored.body.messages;
    expect(messages.map((m) => m.role)).toEqual(Array.from({ length: 14 }, (_, i) => (i % 2 ? 'assistant' : 'user')));
    // Every answer comes right after the question it answers, so history() pairs them truly.
    answers.forEach((res, i) => {
      const at = messages.findIndex((m) => m.id === res.body.messageId);
      expect(messages[at - 1]).toMatchObject({ role: 'user', content: questions[i] });
    });
  });

  it('does not rewrite when the knowledge base turns rewriting off, and sends no history with historyTurns 0', async () => {
    const other = await createKnowledgeBase(t, headers, { settings: { rewriteFollowUps: false } });
    await seedDocument(t, other.id, 'R-intro.pdf', [
      { content: 'The function sink() diverts output to a file.', page: 12 },
    ]);
    const first = await ask({ question: 'How do I divert output?' }, other.id).expect(200);
    t.fake.reset();
    await ask({ question: 'And how do I divert it back?', conversationId: first.body.conversationId }, other.id).expect(
      200,
    );
    expect(chatRequests()).toHaveLength(1);
    await request(t.url)
      .patch(`/api/knowledge-bases/${other.id}`)
      .set(headers)
      .send({ settings: { historyTurns: 0 } })
      .expect(200);
    t.fake.reset();
    await ask({ question: 'And divert it again?', conversationId: first.body.conversationId }, other.id).expect(200);
    expect(chatRequests()[0].messages.map((m) => m.role)).toEqual(['system', 'user']);
  });

  it("uses the knowledge base's own prompt and chat model (a thinking model's reasoning stays out of the answer)", async () => {
    const other = await createKnowledgeBase(t, headers, {
      settings: {
        prompt: 'Answer like a careful librarian of {knowledgeBase}.\n\n{sources}',
        chatModel: 'qwen3:0.6b',
        temperature: 0.6,
        searchMode: 'keyword',
        topK: 1,
      },
    });
    await seedDocument(t, other.id, 'R-intro.pdf', [
      { content: 'The function sink() diverts output to a file.', page: 12 },
      { content: 'The function seq() makes sequences.', page: 7 },
    ]);
    const stream = await openEventStream(
      `${t.url}/api/knowledge-bases/${other.id}/ask`,
      { question: 'How does sink divert output?' },
      headers,
    );
    const events = await readAllEvents(stream.events);
    const done = events[events.length - 1].data;
    expect(done.answer).toMatch(/^According to the sources: ".*sink\(\) diverts output.*" \[1\]\.$/);
    expect(done.answer).not.toContain('check the sources first');
    const [chat] = chatRequests();
    expect(chat.model).toBe('qwen3:0.6b');
    expect(chat.options).toMatchObject({ temperature: 0.6, num_ctx: 8192 });
    expect(chat.messages[0].content).toMatch(
      /^Answer like a careful librarian of .*\.\n\n\[1\] R-intro\.pdf, page 12\nThe function sink\(\)/,
    );
    expect(chat.messages[1].content).toBe('Question: How does sink divert output?');
  });

  it('records how the answer was made: both legs, the fused order, the budget and the timings', async () => {
    const res = await ask({ question: 'is.nan only TRUE for NaN' }).expect(200);
    const trace = await request(t.url)
      .get(`/api/conversations/${res.body.conversationId}/messages/${res.body.messageId}/trace`)
      .set(headers)
      .expect(200);
    expect(trace.body).toMatchObject({
      conversationId: res.body.conversationId,
      messageId: res.body.messageId,
      question: 'is.nan only TRUE for NaN',
      searchQuery: 'is.nan only TRUE for NaN',
      rewrite: null,
      language: 'en',
      model: 'qwen2.5:7b',
      options: { num_ctx: 8192, temperature: 0.2 },
      usage: res.body.usage,
      noHit: null,
      search: {
        mode: 'hybrid',
        keywordQuery: segmentForKeywords('is.nan only TRUE for NaN'),
        topK: 5,
        vectorLeg: expect.arrayContaining([{ chunkId: chunk.nan, rank: 1, score: expect.any(Number) }]),
        keywordLeg: expect.arrayContaining([{ chunkId: chunk.nan, rank: 1, score: expect.any(Number) }]),
        embedMs: expect.any(Number),
        searchMs: expect.any(Number),
      },
      budget: {
        numCtx: 8192,
        modelContextLength: 32768,
        answerReserve: 1024,
        used: expect.arrayContaining([{ index: 1, chunkId: chunk.nan, tokens: expect.any(Number) }]),
        dropped: [],
      },
      timings: {
        retrievalMs: expect.any(Number),
        embedMs: expect.any(Number),
        searchMs: expect.any(Number),
        firstTokenMs: expect.any(Number),
        generationMs: expect.any(Number),
        totalMs: expect.any(Number),
      },
    });
    expect(trace.body.search.fused[0]).toEqual({
      chunkId: chunk.nan,
      score: expect.any(Number),
      passed: true,
      vectorRank: 1,
      vectorScore: expect.any(Number),
      keywordRank: 1,
      keywordScore: expect.any(Number),
    });
  });

  it('says "not found" without calling the model when nothing passes minScore', async () => {
    const res = await ask({ question: '量子色动力学的渐近自由是什么？' }).expect(200);
    expect(res.body).toMatchObject({
      answer: '知识库中没有找到与这个问题相关的内容。',
      citations: [],
      usage: { promptTokens: 0, completionTokens: 0 },
    });
    expect(chatRequests()).toHaveLength(0);
    const stream = await openEventStream(
      `${t.url}/api/knowledge-bases/${kb.id}/ask`,
      { question: 'Quantum chromodynamics asymptotic freedom?' },
      headers,
    );
    const events = await readAllEvents(stream.events);
    expect(events.map((e) => e.event)).toEqual(['sources', 'delta', 'done']);
    expect(events[1].data.content).toBe('I could not find anything about this in the knowledge base.');
    const trace = await request(t.url)
      .get(`/api/conversations/${res.body.conversationId}/messages/${res.body.messageId}/trace`)
      .set(headers)
      .expect(200);
    expect(trace.body).toMatchObject({ noHit: 'text', model: null });
  });

  it("uses the knowledge base's not-found text, or lets the model answer without sources", async () => {
    const other = await createKnowledgeBase(t, headers, { settings: { noHitText: '这里没有。', minScore: 0.5 } });
    await seedDocument(t, other.id, 'R-intro.pdf', [
      { content: 'The function sink() diverts output to a file.', page: 12 },
    ]);
    const text = await ask({ question: 'quantum chromodynamics' }, other.id).expect(200);
    expect(text.body.answer).toBe('这里没有。');
    expect(chatRequests()).toHaveLength(0);

    await request(t.url)
      .patch(`/api/knowledge-bases/${other.id}`)
      .set(headers)
      .send({ settings: { noHitMode: 'model' } })
      .expect(200);
    const model = await ask({ question: 'quantum chromodynamics' }, other.id).expect(200);
    expect(model.body).toMatchObject({ answer: "I don't know. The sources do not say.", citations: [] });
    const [chat] = chatRequests();
    expect(chat.messages[0].content).toMatch(/No passage of the knowledge base matched/);
  });

  it('answers from no sources at all on a knowledge base without ready documents', async () => {
    const empty = await createKnowledgeBase(t, headers);
    const res = await ask({ question: 'anything?' }, empty.id).expect(200);
    expect(res.body).toMatchObject({
      answer: 'I could not find anything about this in the knowledge base.',
      citations: [],
    });
  });

  it("sends num_ctx from the knowledge base, never above the model's context, and fits sources into it", async () => {
    const other = await createKnowledgeBase(t, headers, { settings: { numCtx: 65536 } });
    // Eight long passages on the same subject.
    const long = (n: number) =>
      `Output diversion, part ${n}: ` + 'the sink function writes output to a file. '.repeat(60);
    const doc = await seedDocument(
      t,
      other.id,
      'long.pdf',
      Array.from({ length: 8 }, (_, i) => ({ content: long(i), page: i + 1 })),
    );
    await ask({ question: 'How does sink write output to a file?', topK: 8 }, other.id).expect(200);
    expect(chatRequests()[0].options.num_ctx).toBe(32768); // qwen2.5:7b's context length

    await request(t.url)
      .patch(`/api/knowledge-bases/${other.id}`)
      .set(headers)
      .send({ settings: { numCtx: 1536 } })
      .expect(200);
    t.fake.reset();
    const res = await ask({ question: 'How does sink write output to a file?', topK: 8 }, other.id).expect(200);
    const [chat] = chatRequests();
    expect(chat.options.num_ctx).toBe(1536);
    const trace = await request(t.url)
      .get(`/api/conversations/${res.body.conversationId}/messages/${res.body.messageId}/trace`)
      .set(headers)
      .expect(200);
    const { budget } = trace.body;
    expect(budget.numCtx).toBe(1536);
    expect(budget.answerReserve).toBe(384);
    expect(budget.used.length).toBeGreaterThanOrEqual(1);
    expect(budget.dropped.length).toBeGreaterThanOrEqual(1);
    expect(budget.used.length + budget.dropped.length).toBe(8);
    expect(budget.sourceTokens).toBeLessThanOrEqual(budget.sourceBudget);
    // Whole passages only, and the best ones: the prompt has exactly the kept ones, numbered in rank order.
    const prompt = chat.messages[chat.messages.length - 1].content;
    expect(prompt.match(/^\[\d+\] /gm)).toHaveLength(budget.used.length);
    for (const used of budget.used) {
      expect(doc.chunkIds).toContain(used.chunkId);
      expect(prompt).toContain(`[${used.index}] long.pdf`);
    }
    expect(res.body.citations.every((c: { index: number }) => c.index <= budget.used.length)).toBe(true);
  });

  it('stops the Ollama request when the client disconnects, and keeps the partial answer as aborted', async () => {
    t.fake.configure({ tokenDelayMs: 100 });
    const controller = new AbortController();
    const stream = await openEventStream(
      `${t.url}/api/knowledge-bases/${kb.id}/ask`,
      { question: 'How do I divert output to a file?' },
      headers,
      controller.signal,
    );
    let sources: { conversationId: string; messageId: string } | undefined;
    for await (const event of stream.events) {
      if (event.event === 'sources') sources = event.data;
      if (event.event === 'delta') break;
    }
    controller.abort();
    await t.fake.waitFor((fake) => fake.abortedChats === 1, 5_000);
    expect(t.fake.counts.completedChats).toBe(0);
    const db = t.app.get(DataSource);
    let status: string | undefined;
    for (let i = 0; i < 100 && !status; i++) {
      [{ status } = { status: undefined }] = await db.query(`SELECT status FROM messages WHERE id = $1`, [
        sources!.messageId,
      ]);
      if (!status) await new Promise((r) => setTimeout(r, 20));
    }
    expect(status).toBe('aborted');
    const trace = await request(t.url).get(`/api/conversations/${sources!.conversationId}`).set(headers).expect(200);
    expect(trace.body.messages[1]).toMatchObject({ status: 'aborted', error: { code: 'ABORTED' } });
  });

  it('stops everything when the client leaves before the stream opens, and stores nothing', async () => {
    const db = t.app.get(DataSource);
    const countMessages = async (): Promise<number> => {
      const [{ count }] = await db.query(
        `SELECT count(*)::int AS count FROM messages m JOIN conversations c ON c.id = m.conversation_id
          WHERE c.knowledge_base_id = $1`,
        [kb.id],
      );
      return count;
    };
    const before = await countMessages();
    t.fake.configure({ latencyMs: 300 });
    const controller = new AbortController();
    const asking = openEventStream(
      `${t.url}/api/knowledge-bases/${kb.id}/ask`,
      { question: 'How do I divert output to a file?' },
      headers,
      controller.signal,
    ).catch((err: unknown) => err);
    await new Promise((r) => setTimeout(r, 100)); // still searching: nothing is streamed yet
    controller.abort();
    expect(await asking).toMatchObject({ name: 'AbortError' });
    await new Promise((r) => setTimeout(r, 1_000)); // longer than the Ollama calls would have taken
    expect(t.fake.counts.completedChats).toBe(0);
    expect(t.fake.requestsTo('/api/chat').length).toBe(t.fake.abortedChats);
    expect(await countMessages()).toBe(before);
  });

  it('reports a failure in the middle of the answer as an error event and stores the partial answer as failed', async () => {
    t.fake.configure({ errorMidStream: 3 });
    const stream = await openEventStream(
      `${t.url}/api/knowledge-bases/${kb.id}/ask`,
      { question: 'How do I divert output to a file?' },
      headers,
    );
    expect(stream.status).toBe(200);
    const events = await readAllEvents(stream.events);
    expect(events.map((e) => e.event)).toEqual(['sources', 'delta', 'delta', 'delta', 'error']);
    expect(events[4].data).toEqual({
      code: 'OLLAMA_STREAM_FAILED',
      message: expect.stringContaining('unexpected EOF'),
    });
    const partial = events
      .slice(1, 4)
      .map((e) => e.data.content)
      .join('');
    const stored = await request(t.url)
      .get(`/api/conversations/${events[0].data.conversationId}`)
      .set(headers)
      .expect(200);
    expect(stored.body.messages[1]).toMatchObject({
      content: partial,
      status: 'failed',
      error: { code: 'OLLAMA_STREAM_FAILED' },
    });

    // A failed answer is not history: the next question in that conversation is not a follow-up of it.
    t.fake.reset();
    await ask({ question: 'What does seq do?', conversationId: events[0].data.conversationId }).expect(200);
    expect(chatRequests()).toHaveLength(1);

    t.fake.configure({ dropMidStream: 2 });
    const json = await ask({ question: 'How do I divert output to a file?' }).expect(502);
    expect(json.body).toMatchObject({ error: 'OLLAMA_STREAM_FAILED' });
  });

  it('answers 503 OLLAMA_UNAVAILABLE with the fix when Ollama is down, streaming or not', async () => {
    const down = await startTestApp({
      role: 'api',
      env: { ...ADMIN_ENV, OLLAMA_BASE_URL: `http://127.0.0.1:${await closedPort()}` },
    });
    try {
      const h = (await loginAsAdmin(down)).headers;
      for (const body of [
        { question: 'How do I divert output?' },
        { question: 'How do I divert output?', stream: true },
      ]) {
        const res = await request(down.url).post(`/api/knowledge-bases/${kb.id}/ask`).set(h).send(body).expect(503);
        expect(res.headers['content-type']).toMatch(/application\/json/);
        expect(res.body).toMatchObject({
          statusCode: 503,
          error: 'OLLAMA_UNAVAILABLE',
          message: expect.stringMatching(/Cannot reach Ollama.*OLLAMA_HOST=0\.0\.0\.0/),
        });
      }
      // Keyword search needs no Ollama at all.
      await request(down.url)
        .post(`/api/knowledge-bases/${kb.id}/search`)
        .set(h)
        .send({ query: 'sink', mode: 'keyword' })
        .expect(200);
    } finally {
      await down.close();
    }
    t.fake.configure({ failWith503: true });
    const busy = await ask({ question: 'How do I divert output?' }).expect(503);
    expect(busy.body.error).toBe('OLLAMA_BUSY');
    t.fake.configure({ failWith503: false, missingModels: ['qwen2.5:7b'] });
    const missing = await ask({ question: 'How do I divert output?' }).expect(503);
    expect(missing.body).toMatchObject({
      error: 'OLLAMA_MODEL_NOT_FOUND',
      message: expect.stringContaining('ollama pull qwen2.5:7b'),
    });
  });

  it('refuses bad input with a 4xx that names the problem', async () => {
    const other = await createKnowledgeBase(t, headers);
    const foreign = await ask({ question: 'divert output' }).expect(200);
    const cases: [Record<string, unknown>, number, RegExp, string?][] = [
      [{ question: '' }, 400, /question must not be empty/],
      [{ question: '  ' }, 400, /question must not be empty/],
      [{ question: '问'.repeat(10_000) }, 400, /question is too long/],
      [{ question: 'ok', topK: 0 }, 400, /topK must be at least 1/],
      [{ question: 'ok', topK: 99 }, 400, /topK must be at most 50/],
      [{ question: 'ok', conversationId: 'nope' }, 400, /conversationId must be a conversation id/],
      [{ question: 'ok', stream: 'yes' }, 400, /stream must be true or false/],
      [
        { question: 'ok', conversationId: '00000000-0000-4000-8000-000000000000' },
        404,
        /Conversation .* was not found/,
      ],
      // A conversation of another knowledge base is not found here.
      [{ question: 'ok', conversationId: foreign.body.conversationId }, 404, /Conversation .* was not found/, other.id],
      [{ question: 'ok', extra: 1 }, 400, /property extra should not exist/],
    ];
    for (const [body, status, message, kbId] of cases) {
      const res = await ask(body, kbId ?? kb.id);
      expect({ body: JSON.stringify(body).slice(0, 80), status: res.status }).toEqual({
        body: JSON.stringify(body).slice(0, 80),
        status,
      });
      expect(res.body.message).toMatch(message);
    }
    await ask({ question: 'ok' }, '00000000-0000-4000-8000-000000000000').expect(404);
    await request(t.url).get('/api/conversations/00000000-0000-4000-8000-000000000000').set(headers).expect(404);
  });

  it('keeps a conversation to the user who had it', async () => {
    const res = await ask({ question: 'divert output' }).expect(200);
    const admin = await loginAsAdmin(t);
    const member = await createMember(t, admin.token);
    await request(t.url)
      .post(`/api/knowledge-bases/${kb.id}/members`)
      .set(headers)
      .send({ userId: member.user.id, permission: 'read' })
      .expect(201);
    await request(t.url).get(`/api/conversations/${res.body.conversationId}`).set(member.headers).expect(404);
    await request(t.url)
      .post(`/api/knowledge-bases/${kb.id}/ask`)
      .set(member.headers)
      .send({ question: 'and more?', conversationId: res.body.conversationId })
      .expect(404);
    const own = await request(t.url)
      .post(`/api/knowledge-bases/${kb.id}/ask`)
      .set(member.headers)
      .send({ question: 'divert output' })
      .expect(200);
    const list = await request(t.url)
      .get(`/api/knowledge-bases/${kb.id}/conversations`)
      .set(member.headers)
      .expect(200);
    expect(list.body.items.map((c: { id: string }) => c.id)).toEqual([own.body.conversationId]);
    await request(t.url).delete(`/api/conversations/${own.body.conversationId}`).set(member.headers).expect(204);
    await request(t.url).get(`/api/conversations/${own.body.conversationId}`).set(member.headers).expect(404);
  });
});
