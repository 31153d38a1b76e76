import * as http from 'node:http';
import { Logger } from '@nestjs/common';
import type { AddressInfo } from 'node:net';
import { FakeOllama } from '../../test/fake-ollama/fake-ollama.server';
import type { ChatDelta, ChatMessage, OllamaClientConfig } from './llm.types';
import { OllamaClientService } from './ollama-client.service';
import { isRetryableOllamaError } from './ollama-errors';

const SOURCES_PROMPT: ChatMessage[] = [
  {
    role: 'system',
    content:
      'Answer only from the sources and cite them as [n].\n\n' +
      '[1] Zhiku keeps every uploaded document in PostgreSQL and searches chunks with pgvector.\n' +
      '[2] Ingestion jobs run on Redis through Bull.',
  },
  { role: 'user', content: 'Where does zhiku keep documents?' },
];

function configFor(url: string, overrides: Partial<OllamaClientConfig> = {}): OllamaClientConfig {
  return {
    ollamaBaseUrl: url,
    embeddingModel: 'bge-m3',
    chatModel: 'qwen2.5:7b',
    chatNumCtx: 8192,
    ollamaTimeoutSec: 10,
    embedBatchSize: 4,
    embedConcurrency: 2,
    ...overrides,
  };
}

const norm = (v: number[]): number => Math.sqrt(v.reduce((sum, x) => sum + x * x, 0));
const dot = (a: number[], b: number[]): number => a.reduce((sum, x, i) => sum + x * b[i], 0);

async function collect(stream: AsyncIterable<ChatDelta>): Promise<ChatDelta[]> {
  const deltas: ChatDelta[] = [];
  for await (const delta of stream) deltas.push(delta);
  return deltas;
}

/** A loopback port with nothing listening on it. */
async function closedPortUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

describe('OllamaClientService (against the fake Ollama)', () => {
  let fake: FakeOllama;
  let client: OllamaClientService;

  beforeAll(async () => {
    fake = await FakeOllama.start({ port: 0 });
  });
  afterAll(async () => {
    await fake.stop();
  });
  beforeEach(() => {
    fake.reset();
    client = new OllamaClientService(configFor(fake.url));
  });

  describe('embed', () => {
    it('embeds a batch in one /api/embed call: input order, unit length, the model dimension', async () => {
      const texts = ['PostgreSQL stores the chunks', '向量检索很快', 'Redis runs the queue'];
      const vectors = await client.embed(texts);

      expect(fake.requestsTo('/api/embed')).toHaveLength(1);
      expect(vectors).toHaveLength(3);
      for (const vector of vectors) {
        expect(vector).toHaveLength(1024);
        expect(norm(vector)).toBeCloseTo(1, 4);
      }
      const one = await client.embed([texts[1]]);
      expect(one[0]).toEqual(vectors[1]);
    });

    it('uses the dimension of the model asked for', async () => {
      const [vector] = await client.embed(['small model'], { model: 'ALL-MINILM' });
      expect(vector).toHaveLength(384);
    });

    it('places texts that share words closer than unrelated ones (English and Chinese)', async () => {
      const [question, related, unrelated] = await client.embed([
        'How do I reset my password?',
        'To reset the password, open the account settings and choose reset passwords.',
        'Quarterly revenue grew in European markets.',
      ]);
      expect(dot(question, related)).toBeGreaterThan(dot(question, unrelated) + 0.2);

      const [zhQuestion, zhRelated, zhUnrelated] = await client.embed([
        '如何重置密码？',
        '在账户设置中可以重置密码。',
        '今年第三季度欧洲市场收入增长。',
      ]);
      expect(dot(zhQuestion, zhRelated)).toBeGreaterThan(dot(zhQuestion, zhUnrelated) + 0.2);
    });

    it('falls back to /api/embeddings on a server older than 0.3.4, normalises, and remembers it', async () => {
      const modern = await client.embed(['alpha beta', 'gamma']);
      fake.reset();
      fake.configure({ legacyOnly: true });
      const legacyClient = new OllamaClientService(configFor(fake.url));
      const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);

      const vectors = await legacyClient.embed(['alpha beta', 'gamma']);
      for (const [i, vector] of vectors.entries()) {
        expect(norm(vector)).toBeCloseTo(1, 4);
        expect(dot(vector, modern[i])).toBeCloseTo(1, 4);
      }
      await legacyClient.embed(['delta']);
      expect(fake.requestsTo('/api/embed')).toHaveLength(1); // asked once, then remembered
      expect(fake.requestsTo('/api/embeddings')).toHaveLength(3);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn.mock.calls[0][0]).toMatch(/older than 0\.3\.4\); falling back to \/api\/embeddings/);
      warn.mockRestore();
    });

    it('does not fall back when /api/embed says the model is missing: it says how to pull it', async () => {
      const error = await client.embed(['x'], { model: 'nomic-embed-text' }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'OLLAMA_MODEL_NOT_FOUND', httpStatus: 503, retryable: false });
      expect((error as Error).message).toContain('ollama pull nomic-embed-text');
      expect(fake.requestsTo('/api/embeddings')).toHaveLength(0);
    });

    it('answers 503 busy with a retryable OLLAMA_BUSY', async () => {
      fake.configure({ failWith503: true });
      const error = await client.embed(['x']).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'OLLAMA_BUSY', httpStatus: 503, retryable: true });
      expect(isRetryableOllamaError(error)).toBe(true);
    });

    it("turns a 500 into OLLAMA_ERROR carrying Ollama's text, retryable", async () => {
      fake.configure({ failNextN: 1, failNextStatus: 500, failNextRoute: '/api/embed' });
      const error = await client.embed(['x']).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'OLLAMA_ERROR', httpStatus: 502, retryable: true });
      expect((error as Error).message).toContain('llama runner process has terminated');
      await expect(client.embed(['x'])).resolves.toHaveLength(1); // only the next one failed
    });

    it('reports cancellation as ABORTED, not as a failure', async () => {
      fake.configure({ embedLatencyMs: 500 });
      const controller = new AbortController();
      const pending = client.embed(['a', 'b', 'c', 'd', 'e'], { signal: controller.signal });
      setTimeout(() => controller.abort(), 50);
      const error = await pending.catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'ABORTED', retryable: false });
      expect(isRetryableOllamaError(error)).toBe(false);
    });
  });

  describe('chat', () => {
    it('streams several deltas, then done with the reason and token usage', async () => {
      fake.configure({ tokenDelayMs: 2 });
      const deltas = await collect(client.chatStream({ messages: SOURCES_PROMPT }));

      const last = deltas[deltas.length - 1];
      expect(deltas.length).toBeGreaterThan(5);
      expect(deltas.slice(0, -1).every((d) => !d.done)).toBe(true);
      expect(last).toMatchObject({ done: true, doneReason: 'stop' });
      expect(last.promptTokens).toBeGreaterThan(10);
      expect(last.completionTokens).toBe(deltas.length - 1);
      expect(last.evalDurationMs).toBeGreaterThan(0);
      const answer = deltas.map((d) => d.content).join('');
      expect(answer).toContain('Zhiku keeps every uploaded document in PostgreSQL');
      expect(answer).toMatch(/\[1\].*\[2\]/);
    });

    it('sends num_ctx from config (clamped to the model) and leaves think out unless asked', async () => {
      const small = new OllamaClientService(configFor(fake.url, { chatNumCtx: 100_000 }));
      await collect(small.chatStream({ messages: SOURCES_PROMPT }));
      await collect(
        small.chatStream({ messages: SOURCES_PROMPT, think: false, options: { num_ctx: 2048, temperature: 0.1 } }),
      );

      const [first, second] = fake.requestsTo('/api/chat').map((r) => r.body as Record<string, unknown>);
      expect(first).toMatchObject({ model: 'qwen2.5:7b', stream: true, options: { num_ctx: 32768 } });
      expect(first).not.toHaveProperty('think');
      expect(second).toMatchObject({ think: false, options: { num_ctx: 2048, temperature: 0.1 } });
    });

    it('answers without streaming through chat()', async () => {
      const result = await client.chat({ messages: SOURCES_PROMPT });
      expect(result.content).toContain('[1]');
      expect(result).toMatchObject({ model: 'qwen2.5:7b', doneReason: 'stop' });
      expect(result.completionTokens).toBeGreaterThan(0);
      expect(fake.requestsTo('/api/chat')[0].body).toMatchObject({ stream: false });
    });

    it('aborting the signal mid-stream closes the request to Ollama and throws ABORTED', async () => {
      fake.configure({ tokenDelayMs: 30 });
      const controller = new AbortController();
      const received: ChatDelta[] = [];
      const error = await (async () => {
        for await (const delta of client.chatStream({ messages: SOURCES_PROMPT, signal: controller.signal })) {
          received.push(delta);
          if (received.length === 2) controller.abort();
        }
      })().catch((e: unknown) => e);

      expect(error).toMatchObject({ code: 'ABORTED', retryable: false });
      expect(received).toHaveLength(2);
      await fake.waitFor((f) => f.abortedChats === 1);
      expect(fake.activeChats).toBe(0);
    });

    it('leaving the loop early also closes the request', async () => {
      fake.configure({ tokenDelayMs: 30 });
      for await (const delta of client.chatStream({ messages: SOURCES_PROMPT })) {
        expect(delta.done).toBe(false);
        break;
      }
      await fake.waitFor((f) => f.abortedChats === 1);
    });

    it('throws OLLAMA_STREAM_FAILED on an error line mid-stream', async () => {
      fake.configure({ errorMidStream: 3, midStreamErrorMessage: 'model runner crashed' });
      const received: ChatDelta[] = [];
      const error = await (async () => {
        for await (const delta of client.chatStream({ messages: SOURCES_PROMPT })) received.push(delta);
      })().catch((e: unknown) => e);
      expect(received).toHaveLength(3);
      expect(error).toMatchObject({ code: 'OLLAMA_STREAM_FAILED', retryable: false });
      expect((error as Error).message).toContain('model runner crashed');
    });

    it('throws a retryable OLLAMA_STREAM_FAILED when the connection drops mid-stream', async () => {
      fake.configure({ dropMidStream: 2 });
      const error = await collect(client.chatStream({ messages: SOURCES_PROMPT })).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'OLLAMA_STREAM_FAILED', retryable: true });
    });

    it('says how to pull a chat model that is not installed', async () => {
      fake.configure({ missingModels: ['qwen2.5:7b'] });
      const error = await collect(client.chatStream({ messages: SOURCES_PROMPT })).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'OLLAMA_MODEL_NOT_FOUND', details: { model: 'qwen2.5:7b' } });
      expect((error as Error).message).toContain('Run: ollama pull qwen2.5:7b');
      await expect(client.chat({ model: 'llama3.1:8b', messages: SOURCES_PROMPT })).rejects.toThrow(
        'ollama pull llama3.1:8b',
      );
    });

    it("passes on a 400 with Ollama's own words, not retryable", async () => {
      const error = await client.chat({ model: 'bge-m3', messages: SOURCES_PROMPT }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'OLLAMA_ERROR', httpStatus: 502, retryable: false });
      expect((error as Error).message).toContain('does not support chat');
    });

    it('times out a stalled stream, but not a long one that keeps flowing', async () => {
      const impatient = new OllamaClientService(configFor(fake.url, { ollamaTimeoutSec: 0.3 }));
      fake.configure({ tokenDelayMs: 40 }); // ~30 pieces: well over 0.3 s in total, never 0.3 s between two
      const deltas = await collect(impatient.chatStream({ messages: SOURCES_PROMPT }));
      expect(deltas[deltas.length - 1].done).toBe(true);

      fake.configure({ tokenDelayMs: 600 });
      const error = await collect(impatient.chatStream({ messages: SOURCES_PROMPT })).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'OLLAMA_UNAVAILABLE', retryable: true, details: { timedOut: true } });
    });

    it('times out a request that gets no answer', async () => {
      fake.configure({ latencyMs: 800 });
      const error = await client.version({ timeoutMs: 200 }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'OLLAMA_UNAVAILABLE', details: { timedOut: true } });
      expect((error as Error).message).toContain(fake.url);
    });
  });

  describe('unreachable Ollama', () => {
    it('names the URL and says how to make Ollama reachable', async () => {
      const url = await closedPortUrl();
      const offline = new OllamaClientService(configFor(url));

      const error = await offline.embed(['x']).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'OLLAMA_UNAVAILABLE', httpStatus: 503, retryable: true });
      const message = (error as Error).message;
      expect(message).toContain(`Cannot reach Ollama at ${url} (connect ECONNREFUSED`);
      expect(message).toContain('OLLAMA_HOST=0.0.0.0:11434');
      expect(message).toContain('http://172.17.0.1:11434');
      expect(message).toContain('host.docker.internal');
      await expect(collect(offline.chatStream({ messages: SOURCES_PROMPT }))).rejects.toMatchObject({
        code: 'OLLAMA_UNAVAILABLE',
      });
    });

    it('checkModels reports it instead of throwing', async () => {
      const url = await closedPortUrl();
      const health = await new OllamaClientService(configFor(url)).checkModels();
      expect(health).toMatchObject({
        reachable: false,
        url,
        models: { embedding: { name: 'bge-m3', present: false }, chat: { name: 'qwen2.5:7b', present: false } },
      });
      expect(health.error).toContain('0.0.0.0');
    });
  });

  describe('models', () => {
    it('reads dimension and context length from /api/show, and caches the answer', async () => {
      await expect(client.showModel('bge-m3')).resolves.toMatchObject({
        dimension: 1024,
        contextLength: 8192,
        capabilities: ['embedding'],
        family: 'bert',
      });
      await client.showModel('BGE-M3:latest');
      expect(fake.requestsTo('/api/show')).toHaveLength(1);

      const chatModel = await client.showModel('qwen2.5:7b');
      expect(chatModel).toMatchObject({ contextLength: 32768, capabilities: ['completion', 'tools'] });
      expect(chatModel.dimension).toBeUndefined(); // a chat model's embedding_length is its hidden size
      await expect(client.showModel('no-such-model')).rejects.toMatchObject({ code: 'OLLAMA_MODEL_NOT_FOUND' });
    });

    it('follows a configured embedding dimension', async () => {
      fake.configure({ embeddingDimension: 768 });
      await expect(client.showModel('bge-m3')).resolves.toMatchObject({ dimension: 768 });
      const [vector] = await client.embed(['x']);
      expect(vector).toHaveLength(768);
    });

    it('lists models and the version', async () => {
      const models = await client.listModels();
      expect(models.map((m) => m.name)).toEqual(expect.arrayContaining(['bge-m3:latest', 'qwen2.5:7b']));
      expect(models.find((m) => m.name === 'qwen2.5:7b')).toMatchObject({
        family: 'qwen2',
        parameterSize: '7.6B',
        quantization: 'Q4_K_M',
      });
      await expect(client.version()).resolves.toBe('0.12.7');
    });

    it('checkModels matches names case-insensitively with :latest implied', async () => {
      const shouting = new OllamaClientService(
        configFor(fake.url, { embeddingModel: 'BGE-M3', chatModel: 'qwen2.5:7b' }),
      );
      await expect(shouting.checkModels()).resolves.toMatchObject({
        reachable: true,
        url: fake.url,
        version: '0.12.7',
        models: { embedding: { name: 'BGE-M3', present: true }, chat: { name: 'qwen2.5:7b', present: true } },
      });
      fake.configure({ missingModels: ['qwen2.5:7b'] });
      await expect(shouting.checkModels()).resolves.toMatchObject({
        reachable: true,
        models: { embedding: { present: true }, chat: { present: false } },
      });
    });

    it('streams pull progress to success, after which the model is present', async () => {
      fake.configure({ missingModels: ['all-minilm'] });
      const steps = [];
      for await (const step of client.pullModel('all-minilm')) steps.push(step);
      expect(steps[0]).toEqual({ status: 'pulling manifest' });
      expect(steps.some((s) => s.total && s.completed === s.total)).toBe(true);
      expect(steps[steps.length - 1]).toEqual({ status: 'success' });
      expect((await client.listModels()).map((m) => m.name)).toContain('all-minilm:latest');
    });

    it("reports a pull of an unknown model as a stream failure with Ollama's reason", async () => {
      const error = await (async () => {
        for await (const step of client.pullModel('no-such-model')) void step;
      })().catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'OLLAMA_STREAM_FAILED' });
      expect((error as Error).message).toContain('file does not exist');
    });
  });
});
