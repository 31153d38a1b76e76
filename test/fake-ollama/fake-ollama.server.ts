import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  embeddingJson,
  estimateTokens,
  fakeAnswer,
  fakeDigest,
  legacyEmbeddingJson,
  splitIntoPieces,
  type FakeChatMessage,
} from './fake-generators';

/**
 * A stand-in for Ollama: a real HTTP server on a loopback port that speaks Ollama's native protocol
 * (see shared/ollama-protocol.md) with deterministic models, plus switches to make it slow, busy or broken.
 */

export interface FakeModelSpec {
  /** With tag, e.g. `bge-m3:latest`. */
  name: string;
  kind: 'embedding' | 'chat';
  /** Output size of an embedding model; the hidden size of a chat model. */
  dimension: number;
  contextLength: number;
  arch: string;
  family: string;
  capabilities: string[];
  parameterSize: string;
  quantization: string;
  sizeBytes: number;
}

export const DEFAULT_FAKE_MODELS: readonly FakeModelSpec[] = [
  {
    name: 'bge-m3:latest',
    kind: 'embedding',
    dimension: 1024,
    contextLength: 8192,
    arch: 'bert',
    family: 'bert',
    capabilities: ['embedding'],
    parameterSize: '566.70M',
    quantization: 'F16',
    sizeBytes: 1_157_672_605,
  },
  {
    name: 'all-minilm:latest',
    kind: 'embedding',
    dimension: 384,
    contextLength: 512,
    arch: 'bert',
    family: 'bert',
    capabilities: ['embedding'],
    parameterSize: '23M',
    quantization: 'F16',
    sizeBytes: 45_960_996,
  },
  {
    name: 'qwen2.5:7b',
    kind: 'chat',
    dimension: 3584,
    contextLength: 32768,
    arch: 'qwen2',
    family: 'qwen2',
    capabilities: ['completion', 'tools'],
    parameterSize: '7.6B',
    quantization: 'Q4_K_M',
    sizeBytes: 4_683_087_332,
  },
  {
    name: 'qwen3:0.6b',
    kind: 'chat',
    dimension: 1024,
    contextLength: 40960,
    arch: 'qwen3',
    family: 'qwen3',
    capabilities: ['completion', 'tools', 'thinking'],
    parameterSize: '751.63M',
    quantization: 'Q4_K_M',
    sizeBytes: 522_653_767,
  },
];

/** Behaviour switches, settable at start, through configure(), or `POST /__fake/config`. */
export interface FakeOllamaSwitches {
  /** Delay before answering any /api request. */
  latencyMs: number;
  /** Extra delay per /api/embed (and /api/embeddings) call. */
  embedLatencyMs: number;
  /** Delay between streamed lines (chat pieces, pull progress). */
  tokenDelayMs: number;
  /** Characters per streamed chat piece. */
  charactersPerPiece: number;
  /** Chat and embed calls answer 503 "server busy", like a full OLLAMA_MAX_QUEUE. */
  failWith503: boolean;
  /** The next N /api requests (to failNextRoute, if set) fail with failNextStatus. */
  failNextN: number;
  failNextStatus: 500 | 503;
  failNextRoute: string | null;
  /** Close the socket after this many chat pieces, without a done line. */
  dropMidStream: number | null;
  /** Send an `{"error": ...}` line after this many chat pieces. */
  errorMidStream: number | null;
  midStreamErrorMessage: string;
  /** Models that exist in the catalogue but are not pulled (404; /api/pull installs them). */
  missingModels: string[];
  /** /api/embed answers Go's "404 page not found", like Ollama before 0.3.4. */
  legacyOnly: boolean;
  /** Overrides the dimension of every embedding model. */
  embeddingDimension: number | null;
}

export interface FakeOllamaOptions extends Partial<FakeOllamaSwitches> {
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  models?: FakeModelSpec[];
  version?: string;
  /** Oldest requests are forgotten beyond this. */
  maxRecordedRequests?: number;
}

export interface RecordedRequest {
  method: string;
  /** Path without query, e.g. `/api/embed`. */
  route: string;
  /** Parsed JSON body; embedding inputs shortened to a preview. */
  body?: unknown;
  status?: number;
  /** Milliseconds since the epoch. */
  at: number;
}

export interface FakeOllamaCounters {
  requestsByRoute: Record<string, number>;
  /** Streaming chats whose client closed the connection before the done line. */
  abortedChats: number;
  activeChats: number;
  completedChats: number;
  activeEmbeds: number;
  maxActiveEmbeds: number;
  embeddedTexts: number;
}

const DEFAULT_SWITCHES: FakeOllamaSwitches = {
  latencyMs: 0,
  embedLatencyMs: 0,
  tokenDelayMs: 0,
  charactersPerPiece: 4,
  failWith503: false,
  failNextN: 0,
  failNextStatus: 503,
  failNextRoute: null,
  dropMidStream: null,
  errorMidStream: null,
  midStreamErrorMessage: 'an error was encountered while running the model: unexpected EOF',
  missingModels: [],
  legacyOnly: false,
  embeddingDimension: null,
};

const BUSY_MESSAGE = 'server busy, please try again.  maximum pending requests exceeded';
const RUNNER_CRASH_MESSAGE = 'llama runner process has terminated: exit status 2';
const MODIFIED_AT = '2025-10-01T08:00:00.123456789Z';
const JSON_TYPE = 'application/json; charset=utf-8';
const NDJSON_TYPE = 'application/x-ndjson';

class BadRequest extends Error {}

function normalizeModelName(name: string): string {
  const lower = name.trim().toLowerCase();
  return lower.slice(lower.lastIndexOf('/') + 1).includes(':') ? lower : `${lower}:latest`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class FakeOllama {
  private switches: FakeOllamaSwitches;
  private readonly recorded: RecordedRequest[] = [];
  private counters: FakeOllamaCounters = FakeOllama.emptyCounters();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly loadedModels = new Map<string, number>();
  private readonly models: FakeModelSpec[];
  private readonly version: string;
  private readonly maxRecorded: number;
  private baseUrl = '';

  private constructor(
    private readonly server: http.Server,
    private readonly options: FakeOllamaOptions,
  ) {
    this.models = options.models ?? DEFAULT_FAKE_MODELS.map((m) => ({ ...m }));
    this.version = options.version ?? '0.12.7';
    this.maxRecorded = options.maxRecordedRequests ?? 5_000;
    this.switches = this.initialSwitches();
  }

  static async start(options: FakeOllamaOptions = {}): Promise<FakeOllama> {
    const server = http.createServer();
    const fake = new FakeOllama(server, options);
    server.on('request', (req, res) => void fake.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const host = options.host && options.host !== '0.0.0.0' ? options.host : '127.0.0.1';
    fake.baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    return fake;
  }

  /** Base URL, e.g. `http://127.0.0.1:38211`. */
  get url(): string {
    return this.baseUrl;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get settings(): Readonly<FakeOllamaSwitches> {
    return this.switches;
  }

  get requests(): readonly RecordedRequest[] {
    return this.recorded;
  }

  get counts(): Readonly<FakeOllamaCounters> {
    return this.counters;
  }

  get abortedChats(): number {
    return this.counters.abortedChats;
  }

  get activeChats(): number {
    return this.counters.activeChats;
  }

  /** Requests seen on a route, e.g. `requestsTo('/api/embed')`. */
  requestsTo(route: string): RecordedRequest[] {
    return this.recorded.filter((r) => r.route === route);
  }

  configure(changes: Partial<FakeOllamaSwitches>): void {
    const unknown = Object.keys(changes).filter((key) => !(key in DEFAULT_SWITCHES));
    if (unknown.length) throw new BadRequest(`unknown fake switch(es): ${unknown.join(', ')}`);
    this.switches = { ...this.switches, ...changes };
  }

  /** Back to the start options; forgets recorded requests and counters. */
  reset(): void {
    this.switches = this.initialSwitches();
    this.recorded.length = 0;
    this.counters = FakeOllama.emptyCounters();
    this.loadedModels.clear();
  }

  /** Polls until `condition` holds (e.g. the server noticed a closed stream). */
  async waitFor(condition: (fake: FakeOllama) => boolean, timeoutMs = 2_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition(this)) {
      if (Date.now() > deadline) throw new Error(`fake Ollama: condition not met within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /** Closes every socket (so jest can exit) and the server. */
  async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private initialSwitches(): FakeOllamaSwitches {
    const picked: Partial<FakeOllamaSwitches> = {};
    for (const key of Object.keys(DEFAULT_SWITCHES) as Array<keyof FakeOllamaSwitches>) {
      if (this.options[key] !== undefined) Object.assign(picked, { [key]: this.options[key] });
    }
    return { ...DEFAULT_SWITCHES, ...picked, missingModels: [...(picked.missingModels ?? [])] };
  }

  private static emptyCounters(): FakeOllamaCounters {
    return {
      requestsByRoute: {},
      abortedChats: 0,
      activeChats: 0,
      completedChats: 0,
      activeEmbeds: 0,
      maxActiveEmbeds: 0,
      embeddedTexts: 0,
    };
  }

  // ---------------------------------------------------------------- dispatch

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const receivedAt = process.hrtime.bigint();
    const route = new URL(req.url ?? '/', 'http://fake').pathname;
    const method = req.method ?? 'GET';
    try {
      if (route.startsWith('/__fake/')) return await this.handleControl(method, route, req, res);
      const record: RecordedRequest = { method, route, at: Date.now() };
      this.record(record);
      res.on('finish', () => (record.status = res.statusCode));

      if (route.startsWith('/api/')) {
        await this.sleep(this.switches.latencyMs);
        if (this.takeInjectedFailure(route, res)) return;
      }
      const readBody = async (): Promise<Record<string, unknown>> => {
        const body = await this.readJson(req);
        record.body = route === '/api/embed' ? previewEmbedBody(body) : body;
        return body;
      };
      const isRead = method === 'GET' || method === 'HEAD';
      switch (`${isRead ? 'GET' : method} ${route}`) {
        case 'GET /':
          return this.sendText(res, 200, 'Ollama is running');
        case 'GET /api/version':
          return this.sendJson(res, 200, { version: this.version });
        case 'GET /api/tags':
          return this.sendJson(res, 200, { models: this.installedModels().map((m) => this.listing(m)) });
        case 'GET /api/ps':
          return this.sendJson(res, 200, { models: this.runningModels() });
        case 'POST /api/show':
          return this.show(await readBody(), res);
        case 'POST /api/embed':
          if (this.switches.legacyOnly) return this.sendText(res, 404, '404 page not found');
          return await this.embed(await readBody(), res, receivedAt);
        case 'POST /api/embeddings':
          return await this.legacyEmbeddings(await readBody(), res);
        case 'POST /api/chat':
          return await this.chat(await readBody(), res);
        case 'POST /api/pull':
          return await this.pull(await readBody(), res);
        default:
          return this.sendText(res, 404, '404 page not found'); // Go's router, for unknown routes and methods
      }
    } catch (err) {
      const status = err instanceof BadRequest ? 400 : 500;
      if (!res.headersSent) this.sendJson(res, status, { error: err instanceof Error ? err.message : String(err) });
      else res.destroy();
    }
  }

  private async handleControl(
    method: string,
    route: string,
    req: http.IncomingMessage,
    res: http.ServerResponse,
  ): Promise<void> {
    if (method === 'POST' && route === '/__fake/config') {
      this.configure((await this.readJson(req)) as Partial<FakeOllamaSwitches>);
      return this.sendJson(res, 200, this.switches);
    }
    if (method === 'GET' && route === '/__fake/config') return this.sendJson(res, 200, this.switches);
    if (method === 'POST' && route === '/__fake/reset') {
      this.reset();
      return this.sendJson(res, 200, this.switches);
    }
    if (method === 'GET' && route === '/__fake/requests') {
      return this.sendJson(res, 200, { requests: this.recorded, counters: this.counters });
    }
    this.sendText(res, 404, '404 page not found');
  }

  private takeInjectedFailure(route: string, res: http.ServerResponse): boolean {
    const s = this.switches;
    if (s.failNextN <= 0 || (s.failNextRoute !== null && s.failNextRoute !== route)) return false;
    s.failNextN--;
    this.sendJson(res, s.failNextStatus, { error: s.failNextStatus === 503 ? BUSY_MESSAGE : RUNNER_CRASH_MESSAGE });
    return true;
  }

  /** Ollama's scheduler refuses model work with 503 when its queue is full. */
  private refuseIfBusy(res: http.ServerResponse): boolean {
    if (!this.switches.failWith503) return false;
    this.sendJson(res, 503, { error: BUSY_MESSAGE });
    return true;
  }

  // ---------------------------------------------------------------- models

  private installedModels(): FakeModelSpec[] {
    const missing = new Set(this.switches.missingModels.map(normalizeModelName));
    return this.models.filter((m) => !missing.has(normalizeModelName(m.name)));
  }

  private findInstalled(name: string): FakeModelSpec | undefined {
    const wanted = normalizeModelName(name);
    return this.installedModels().find((m) => normalizeModelName(m.name) === wanted);
  }

  private dimensionOf(model: FakeModelSpec): number {
    return model.kind === 'embedding' && this.switches.embeddingDimension
      ? this.switches.embeddingDimension
      : model.dimension;
  }

  private details(model: FakeModelSpec): Record<string, unknown> {
    return {
      parent_model: '',
      format: 'gguf',
      family: model.family,
      families: [model.family],
      parameter_size: model.parameterSize,
      quantization_level: model.quantization,
    };
  }

  private listing(model: FakeModelSpec): Record<string, unknown> {
    return {
      name: model.name,
      model: model.name,
      modified_at: MODIFIED_AT,
      size: model.sizeBytes,
      digest: fakeDigest(model.name),
      details: this.details(model),
    };
  }

  private runningModels(): Record<string, unknown>[] {
    const now = Date.now();
    return [...this.loadedModels.entries()]
      .filter(([, expiresAt]) => expiresAt > now)
      .sort((a, b) => b[1] - a[1])
      .flatMap(([name, expiresAt]) => {
        const model = this.findInstalled(name);
        if (!model) return [];
        return [
          {
            ...this.listing(model),
            expires_at: new Date(expiresAt).toISOString(),
            size_vram: model.sizeBytes,
            context_length: Math.min(model.contextLength, 4096),
          },
        ];
      });
  }

  private markLoaded(model: FakeModelSpec): void {
    this.loadedModels.set(model.name, Date.now() + 5 * 60_000);
  }

  private requireModelName(body: Record<string, unknown>, field = 'model'): string {
    const name = body[field] ?? body.name;
    if (typeof name !== 'string' || !name.trim()) throw new BadRequest('model is required');
    return name;
  }

  private show(body: Record<string, unknown>, res: http.ServerResponse): void {
    const name = this.requireModelName(body);
    const model = this.findInstalled(name);
    if (!model) return this.sendJson(res, 404, { error: `model '${name}' not found` });
    const arch = model.arch;
    const modelInfo: Record<string, unknown> = {
      'general.architecture': arch,
      'general.parameter_count': Math.round(model.sizeBytes / 2),
      [`${arch}.context_length`]: model.contextLength,
      [`${arch}.embedding_length`]: this.dimensionOf(model),
    };
    if (model.kind === 'embedding') modelInfo[`${arch}.pooling_type`] = 2;
    this.sendJson(res, 200, {
      license: '',
      modelfile: `# Modelfile generated by "ollama show"\nFROM ${model.name}\n`,
      parameters: model.kind === 'chat' ? 'stop "<|im_start|>"\nstop "<|im_end|>"' : '',
      template: '{{ .Prompt }}',
      details: this.details(model),
      model_info: modelInfo,
      capabilities: model.capabilities,
      modified_at: MODIFIED_AT,
    });
  }

  // ---------------------------------------------------------------- embeddings

  private async embed(body: Record<string, unknown>, res: http.ServerResponse, receivedAt: bigint): Promise<void> {
    const name = this.requireModelName(body);
    const input = body.input;
    let texts: string[];
    if (input === undefined || input === null || input === '') texts = [];
    else if (typeof input === 'string') texts = [input];
    else if (Array.isArray(input) && input.every((t) => typeof t === 'string')) texts = input as string[];
    else throw new BadRequest('invalid input type');

    const model = this.findInstalled(name);
    if (!model) return this.sendJson(res, 404, { error: `model "${name}" not found, try pulling it first` });
    if (this.refuseIfBusy(res)) return;
    this.markLoaded(model);

    const started = process.hrtime.bigint();
    this.counters.activeEmbeds++;
    this.counters.maxActiveEmbeds = Math.max(this.counters.maxActiveEmbeds, this.counters.activeEmbeds);
    try {
      const dimension = this.dimensionOf(model);
      const requested = typeof body.dimensions === 'number' && body.dimensions > 0 ? body.dimensions : undefined;
      let vectors = '';
      let tokens = 0;
      for (let i = 0; i < texts.length; i++) {
        if (i > 0) vectors += ',';
        vectors += embeddingJson(texts[i], dimension, requested);
        tokens += estimateTokens(texts[i]);
      }
      this.counters.embeddedTexts += texts.length;
      // The latency switch is the whole answer time, as with a real model: the fake's own work is part of it.
      await this.sleepUntil(receivedAt + BigInt(Math.round(this.switches.embedLatencyMs * 1e6)));
      const totalNs = Number(process.hrtime.bigint() - started);
      // Written by hand: JSON.stringify of 20k × 1024 numbers would dominate the benchmark.
      this.sendRawJson(
        res,
        `{"model":${JSON.stringify(name)},"embeddings":[${vectors}],"total_duration":${totalNs},"load_duration":1019500` +
          (tokens ? `,"prompt_eval_count":${tokens}}` : '}'),
      );
    } finally {
      this.counters.activeEmbeds--;
    }
  }

  private async legacyEmbeddings(body: Record<string, unknown>, res: http.ServerResponse): Promise<void> {
    const name = this.requireModelName(body);
    const prompt = typeof body.prompt === 'string' ? body.prompt : '';
    const model = this.findInstalled(name);
    if (!model) return this.sendJson(res, 404, { error: `model "${name}" not found, try pulling it first` });
    if (this.refuseIfBusy(res)) return;
    this.markLoaded(model);
    await this.sleep(this.switches.embedLatencyMs);
    if (prompt) this.counters.embeddedTexts++;
    this.sendRawJson(res, `{"embedding":${prompt ? legacyEmbeddingJson(prompt, this.dimensionOf(model)) : '[]'}}`);
  }

  // ---------------------------------------------------------------- chat

  private async chat(body: Record<string, unknown>, res: http.ServerResponse): Promise<void> {
    const name = this.requireModelName(body);
    const model = this.findInstalled(name);
    if (!model) return this.sendJson(res, 404, { error: `model '${name}' not found` });
    if (!model.capabilities.includes('completion'))
      return this.sendJson(res, 400, { error: `"${name}" does not support chat` });
    const canThink = model.capabilities.includes('thinking');
    if (body.think === true && !canThink)
      return this.sendJson(res, 400, { error: `"${name}" does not support thinking` });
    const messages = parseMessages(body.messages);
    const createdAt = (): string => new Date().toISOString();
    if (messages.length === 0) {
      this.markLoaded(model);
      return this.sendJson(res, 200, {
        model: name,
        created_at: createdAt(),
        message: { role: 'assistant', content: '' },
        done: true,
        done_reason: 'load',
      });
    }
    if (this.refuseIfBusy(res)) return;
    this.markLoaded(model);

    const s = this.switches;
    let pieces = splitIntoPieces(fakeAnswer(messages), Math.max(1, s.charactersPerPiece));
    const options = isRecord(body.options) ? body.options : {};
    const numPredict = typeof options.num_predict === 'number' ? options.num_predict : -1;
    const truncated = numPredict > 0 && pieces.length > numPredict;
    if (truncated) pieces = pieces.slice(0, numPredict);
    // Thinking models think unless told not to (Ollama ≥ 0.12.4); the reasoning goes in message.thinking.
    const thinking = canThink && body.think !== false ? splitIntoPieces('Let me check the sources first.', 8) : [];
    const promptTokens = messages.reduce((sum, m) => sum + estimateTokens(m.content) + 4, 0);
    const final = (content: string): Record<string, unknown> => ({
      model: name,
      created_at: createdAt(),
      message: { role: 'assistant', content },
      done: true,
      done_reason: truncated ? 'length' : 'stop',
      total_duration: 2_000_000 + pieces.length * (s.tokenDelayMs + 1) * 1e6,
      load_duration: 1_334_875,
      prompt_eval_count: promptTokens,
      prompt_eval_duration: promptTokens * 100_000,
      eval_count: pieces.length + thinking.length,
      eval_duration: pieces.length * (s.tokenDelayMs + 1) * 1e6,
    });

    if (body.stream === false) {
      await this.sleep(s.tokenDelayMs * pieces.length);
      if (s.dropMidStream !== null) return void res.destroy();
      if (s.errorMidStream !== null) return this.sendJson(res, 500, { error: s.midStreamErrorMessage });
      const answer = final(pieces.join(''));
      if (thinking.length) (answer.message as Record<string, unknown>).thinking = thinking.join('');
      return this.sendJson(res, 200, answer);
    }

    res.writeHead(200, { 'Content-Type': NDJSON_TYPE });
    this.counters.activeChats++;
    let finished = false;
    let droppedOnPurpose = false;
    res.on('close', () => {
      this.counters.activeChats--;
      if (!finished && !droppedOnPurpose) this.counters.abortedChats++;
    });
    const line = (value: unknown): void => void res.write(JSON.stringify(value) + '\n');
    for (const piece of thinking) {
      line({
        model: name,
        created_at: createdAt(),
        message: { role: 'assistant', content: '', thinking: piece },
        done: false,
      });
      await this.sleep(s.tokenDelayMs);
      if (res.destroyed) return;
    }
    for (let sent = 0; ; sent++) {
      if (res.destroyed) return;
      if (s.dropMidStream !== null && sent === Math.min(s.dropMidStream, pieces.length)) {
        droppedOnPurpose = true;
        // Flush what was written, then close without the terminating chunk: the client sees the connection cut.
        return void res.socket?.end();
      }
      if (s.errorMidStream !== null && sent === Math.min(s.errorMidStream, pieces.length)) {
        finished = true;
        line({ error: s.midStreamErrorMessage });
        return void res.end();
      }
      if (sent === pieces.length) break;
      line({
        model: name,
        created_at: createdAt(),
        message: { role: 'assistant', content: pieces[sent] },
        done: false,
      });
      await this.sleep(s.tokenDelayMs);
    }
    finished = true;
    this.counters.completedChats++;
    line(final(''));
    res.end();
  }

  // ---------------------------------------------------------------- pull

  private async pull(body: Record<string, unknown>, res: http.ServerResponse): Promise<void> {
    const name = this.requireModelName(body);
    const wanted = normalizeModelName(name);
    const model = this.models.find((m) => normalizeModelName(m.name) === wanted);
    const manifestError = 'pull model manifest: file does not exist';
    if (body.stream === false) {
      await this.sleep(this.switches.tokenDelayMs);
      if (!model) return this.sendJson(res, 500, { error: manifestError });
      this.install(model);
      return this.sendJson(res, 200, { status: 'success' });
    }
    res.writeHead(200, { 'Content-Type': NDJSON_TYPE });
    const line = (value: unknown): void => void res.write(JSON.stringify(value) + '\n');
    line({ status: 'pulling manifest' });
    await this.sleep(this.switches.tokenDelayMs);
    if (!model) {
      line({ error: manifestError });
      return void res.end();
    }
    const digest = fakeDigest(model.name);
    const layer = `pulling ${digest.slice(0, 12)}`;
    const total = model.sizeBytes;
    line({ status: layer, digest: `sha256:${digest}`, total });
    for (let step = 1; step <= 4; step++) {
      await this.sleep(this.switches.tokenDelayMs);
      if (res.destroyed) return;
      line({ status: layer, digest: `sha256:${digest}`, total, completed: Math.round((total * step) / 4) });
    }
    for (const status of ['verifying sha256 digest', 'writing manifest', 'removing unused layers']) line({ status });
    this.install(model);
    line({ status: 'success' });
    res.end();
  }

  private install(model: FakeModelSpec): void {
    const name = normalizeModelName(model.name);
    this.switches.missingModels = this.switches.missingModels.filter((m) => normalizeModelName(m) !== name);
  }

  // ---------------------------------------------------------------- HTTP helpers

  private record(request: RecordedRequest): void {
    this.recorded.push(request);
    if (this.recorded.length > this.maxRecorded) this.recorded.splice(0, this.recorded.length - this.maxRecorded);
    const key = `${request.method} ${request.route}`;
    this.counters.requestsByRoute[key] = (this.counters.requestsByRoute[key] ?? 0) + 1;
  }

  private async readJson(req: http.IncomingMessage): Promise<Record<string, unknown>> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    if (!text.trim()) throw new BadRequest('missing request body');
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (err) {
      throw new BadRequest(err instanceof Error ? err.message : 'invalid JSON');
    }
    if (!isRecord(body)) throw new BadRequest('json: cannot unmarshal into a request object');
    return body;
  }

  private sendJson(res: http.ServerResponse, status: number, value: unknown): void {
    this.sendRaw(res, status, JSON_TYPE, JSON.stringify(value));
  }

  private sendRawJson(res: http.ServerResponse, json: string): void {
    this.sendRaw(res, 200, JSON_TYPE, json);
  }

  private sendText(res: http.ServerResponse, status: number, text: string): void {
    this.sendRaw(res, status, 'text/plain; charset=utf-8', text);
  }

  private sendRaw(res: http.ServerResponse, status: number, contentType: string, body: string): void {
    if (res.destroyed) return;
    res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
    res.end(res.req.method === 'HEAD' ? undefined : body);
  }

  /**
   * Waits until the hrtime deadline, to the tenth of a millisecond: a plain timer fires up to a millisecond
   * late, which over a benchmark's hundred 50 ms embed calls would be counted against the service.
   */
  private async sleepUntil(deadline: bigint): Promise<void> {
    const remainingMs = (): number => Number(deadline - process.hrtime.bigint()) / 1e6;
    if (remainingMs() > 2) await this.sleep(Math.floor(remainingMs() - 1.5));
    while (remainingMs() > 0.1) await new Promise<void>((resolve) => setImmediate(resolve));
  }

  private sleep(ms: number): Promise<void> {
    if (!ms || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }
}

function parseMessages(value: unknown): FakeChatMessage[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new BadRequest('json: cannot unmarshal messages');
  return value.map((m) => {
    if (!isRecord(m) || typeof m.role !== 'string') throw new BadRequest('invalid message: role is required');
    return { role: m.role.toLowerCase(), content: typeof m.content === 'string' ? m.content : '' };
  });
}

/** Keeps recorded embed bodies small: the count and the first few inputs, shortened. */
function previewEmbedBody(body: Record<string, unknown>): Record<string, unknown> {
  const input = body.input;
  const texts = typeof input === 'string' ? [input] : Array.isArray(input) ? input : [];
  return {
    ...body,
    input: texts.slice(0, 3).map((t) => (typeof t === 'string' && t.length > 40 ? t.slice(0, 40) + '…' : t)),
    inputCount: texts.length,
  };
}
