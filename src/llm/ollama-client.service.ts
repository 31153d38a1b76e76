import { Inject, Injectable, Logger } from '@nestjs/common';
import { Ollama, type ChatRequest as OllamaChatRequest, type ChatResponse as OllamaChatResponse } from 'ollama';
import { APP_CONFIG } from '../config/config.module';
import type {
  ChatDelta,
  ChatOptions,
  ChatRequest,
  ChatResult,
  ChatUsage,
  EmbedOptions,
  ModelDetails,
  ModelSummary,
  OllamaClientConfig,
  OllamaHealth,
  PullProgress,
} from './llm.types';
import { normalizeModelName } from './model-name';
import { OllamaRequestError, toOllamaError } from './ollama-errors';

export interface RequestOptions {
  signal?: AbortSignal;
  /** Overrides config.ollamaTimeoutSec for this call (health checks want a short one). */
  timeoutMs?: number;
}

const SHOW_CACHE_TTL_MS = 60_000;
const DEFAULT_HEALTH_TIMEOUT_MS = 5_000;

/**
 * One request's cancellation: the caller's signal plus our timeout, merged into one controller that the
 * fetch underneath uses. Knowing which of the two fired tells "cancelled" from "timed out".
 */
class RequestGuard {
  private readonly controller = new AbortController();
  private timer?: NodeJS.Timeout;
  timedOut = false;

  constructor(
    private readonly callerSignal: AbortSignal | undefined,
    private readonly timeoutMs: number,
  ) {
    if (callerSignal?.aborted) this.controller.abort(callerSignal.reason);
    else callerSignal?.addEventListener('abort', this.onCallerAbort, { once: true });
    this.restartTimer();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get callerAborted(): boolean {
    return this.callerSignal?.aborted ?? false;
  }

  /** For streams the timeout is a stall limit: restarted on every line received. */
  restartTimer(): void {
    this.pauseTimer();
    if (this.controller.signal.aborted) return;
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.controller.abort(new Error(`no answer from Ollama within ${this.timeoutMs} ms`));
    }, this.timeoutMs);
    this.timer.unref();
  }

  pauseTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  abort(): void {
    this.controller.abort();
  }

  dispose(): void {
    this.pauseTimer();
    this.callerSignal?.removeEventListener('abort', this.onCallerAbort);
  }

  private readonly onCallerAbort = (): void => this.controller.abort(this.callerSignal?.reason);
}

/**
 * Typed wrapper around the official `ollama` client: batch embeddings (with the legacy /api/embeddings
 * fallback), streaming chat with cancellation, model discovery, and errors a user can act on.
 */
@Injectable()
export class OllamaClientService {
  private readonly logger = new Logger(OllamaClientService.name);
  /** Set once /api/embed answers "404 page not found" (servers older than 0.3.4). */
  private useLegacyEmbeddings = false;
  private readonly showCache = new Map<string, { expiresAt: number; details: Promise<ModelDetails> }>();

  constructor(@Inject(APP_CONFIG) private readonly config: OllamaClientConfig) {}

  /** The Ollama base URL, as configured (for messages and health output). */
  get url(): string {
    return this.config.ollamaBaseUrl;
  }

  // ---------------------------------------------------------------- embeddings

  /** Embeds one batch in one /api/embed call; vectors are unit length and in input order. */
  async embed(texts: string[], opts: EmbedOptions = {}): Promise<number[][]> {
    if (texts.length === 0) return [];
    const model = opts.model ?? this.config.embeddingModel;
    if (!this.useLegacyEmbeddings) {
      try {
        const response = await this.request('embed texts', (client) => client.embed({ model, input: texts }), {
          signal: opts.signal,
          model,
          onAnswered: opts.onAnswered,
        });
        return this.checkVectors(response.embeddings, texts.length, model);
      } catch (err) {
        if (!(err instanceof OllamaRequestError && err.status === 404)) throw err;
        this.useLegacyEmbeddings = true;
        this.logger.warn(
          `Ollama at ${this.url} has no /api/embed (older than 0.3.4); falling back to /api/embeddings, one text per call. Upgrade Ollama for faster ingestion.`,
        );
      }
    }
    return this.embedLegacy(texts, model, opts.signal);
  }

  private async embedLegacy(texts: string[], model: string, signal?: AbortSignal): Promise<number[][]> {
    const vectors: number[][] = [];
    for (const text of texts) {
      const response = await this.request(
        'embed texts (legacy /api/embeddings)',
        (client) => client.embeddings({ model, prompt: text }),
        { signal, model },
      );
      // /api/embeddings does not normalise; /api/embed does. Keep one convention in the index.
      vectors.push(normalizeToUnitLength(response.embedding));
    }
    return this.checkVectors(vectors, texts.length, model);
  }

  private checkVectors(vectors: unknown, expected: number, model: string): number[][] {
    const fail = (problem: string): never => {
      throw new OllamaRequestError(0, problem, this.url, `embed texts with "${model}"`);
    };
    if (!Array.isArray(vectors)) return fail('the answer had no "embeddings" array');
    if (vectors.length !== expected) return fail(`got ${vectors.length} embeddings for ${expected} texts`);
    const dimension = (vectors[0] as number[]).length;
    if (!dimension) return fail('got an empty embedding (is the text empty, or is this a chat model?)');
    for (const vector of vectors as number[][]) {
      if (vector.length !== dimension)
        return fail(`got embeddings of different sizes (${dimension} and ${vector.length})`);
    }
    return vectors as number[][];
  }

  // ---------------------------------------------------------------- chat

  /**
   * Streams an answer from /api/chat. Each delta carries new text; the last has `done: true` and the usage.
   * Aborting `req.signal` (or leaving the loop early) closes the HTTP request, so Ollama stops generating.
   */
  async *chatStream(req: ChatRequest): AsyncGenerator<ChatDelta> {
    const model = req.model ?? this.config.chatModel;
    const body = await this.chatBody(model, req);
    const parts = this.stream<OllamaChatResponse>('answer', (client) => client.chat({ ...body, stream: true }), {
      signal: req.signal,
      model,
    });
    for await (const part of parts) {
      const delta: ChatDelta = { content: part.message?.content ?? '', done: part.done === true };
      if (part.message?.thinking) delta.thinking = part.message.thinking;
      if (part.done) Object.assign(delta, { doneReason: part.done_reason || undefined }, usageOf(part));
      yield delta;
    }
  }

  /** One answer from /api/chat with `stream: false`. The timeout counts the whole generation. */
  async chat(req: ChatRequest): Promise<ChatResult> {
    const model = req.model ?? this.config.chatModel;
    const body = await this.chatBody(model, req);
    const response = await this.request('answer', (client) => client.chat({ ...body, stream: false }), {
      signal: req.signal,
      model,
    });
    const result: ChatResult = {
      model: response.model ?? model,
      content: response.message?.content ?? '',
      doneReason: response.done_reason || undefined,
      ...usageOf(response),
    };
    if (response.message?.thinking) result.thinking = response.message.thinking;
    return result;
  }

  private async chatBody(model: string, req: ChatRequest): Promise<OllamaChatRequest> {
    const options: ChatOptions = { ...req.options };
    if (options.num_ctx === undefined) options.num_ctx = await this.defaultNumCtx(model);
    const body: OllamaChatRequest = { model, messages: req.messages, options };
    if (req.think !== undefined) body.think = req.think;
    if (req.keepAlive !== undefined) body.keep_alive = req.keepAlive;
    return body;
  }

  /** config.chatNumCtx, but never more than the model was trained for (Ollama would clamp it with a warning). */
  private async defaultNumCtx(model: string): Promise<number> {
    try {
      const { contextLength } = await this.showModel(model);
      return contextLength ? Math.min(this.config.chatNumCtx, contextLength) : this.config.chatNumCtx;
    } catch (err) {
      if (err instanceof OllamaRequestError) return this.config.chatNumCtx; // /api/show odd; the chat may still work
      throw err;
    }
  }

  // ---------------------------------------------------------------- models

  async version(opts: RequestOptions = {}): Promise<string> {
    const response = await this.request('report its version', (client) => client.version(), opts);
    return response.version;
  }

  async listModels(opts: RequestOptions = {}): Promise<ModelSummary[]> {
    const response = await this.request('list models', (client) => client.list(), opts);
    return (response.models ?? []).map((m) => ({
      name: m.name ?? m.model,
      size: m.size,
      modifiedAt: m.modified_at ? String(m.modified_at) : undefined,
      digest: m.digest,
      family: m.details?.family || undefined,
      parameterSize: m.details?.parameter_size || undefined,
      quantization: m.details?.quantization_level || undefined,
    }));
  }

  /**
   * Dimension, context length and capabilities from /api/show; cached a minute because callers ask often.
   * Concurrent callers share one request, so no single caller's signal may cancel it.
   */
  async showModel(name: string, opts: Pick<RequestOptions, 'timeoutMs'> = {}): Promise<ModelDetails> {
    const key = normalizeModelName(name);
    const cached = this.showCache.get(key);
    if (cached && cached.expiresAt > Date.now()) return cached.details;
    const details = this.fetchModelDetails(name, { timeoutMs: opts.timeoutMs });
    this.showCache.set(key, { expiresAt: Date.now() + SHOW_CACHE_TTL_MS, details });
    // Only answers are cached, never failures (the user may pull the model a second later).
    details.catch(() => {
      if (this.showCache.get(key)?.details === details) this.showCache.delete(key);
    });
    return details;
  }

  private async fetchModelDetails(name: string, opts: RequestOptions): Promise<ModelDetails> {
    const response = await this.request('describe the model', (client) => client.show({ model: name }), {
      ...opts,
      model: name,
    });
    // Typed as a Map by ollama-js, but it is a plain JSON object.
    const info = (response.model_info ?? {}) as unknown as Record<string, unknown>;
    const arch = typeof info['general.architecture'] === 'string' ? info['general.architecture'] : undefined;
    const numberAt = (key: string): number | undefined => {
      const value = arch ? info[`${arch}.${key}`] : undefined;
      return typeof value === 'number' && value > 0 ? value : undefined;
    };
    const capabilities = Array.isArray(response.capabilities) ? response.capabilities : [];
    // Servers before 0.6.4 send no capabilities; a pooling type marks an embedding model in the GGUF.
    const isEmbeddingModel = capabilities.length
      ? capabilities.includes('embedding')
      : numberAt('pooling_type') !== undefined;
    return {
      name,
      family: response.details?.family || arch,
      dimension: isEmbeddingModel ? numberAt('embedding_length') : undefined,
      contextLength: numberAt('context_length'),
      capabilities,
      parameterSize: response.details?.parameter_size || undefined,
      quantization: response.details?.quantization_level || undefined,
    };
  }

  /** Streams /api/pull progress; ends after `{status: "success"}`. */
  async *pullModel(name: string, signal?: AbortSignal): AsyncGenerator<PullProgress> {
    const parts = this.stream('pull the model', (client) => client.pull({ model: name, stream: true }), {
      signal,
      model: name,
    });
    for await (const part of parts) {
      const progress: PullProgress = { status: part.status };
      if (part.digest) progress.digest = part.digest;
      if (typeof part.total === 'number') progress.total = part.total;
      if (typeof part.completed === 'number') progress.completed = part.completed;
      if (part.status === 'success') this.showCache.delete(normalizeModelName(name));
      yield progress;
    }
  }

  /** For health: is Ollama reachable, and are the configured embedding and chat models pulled? Never throws. */
  async checkModels(opts: RequestOptions = {}): Promise<OllamaHealth> {
    const timeoutMs = opts.timeoutMs ?? Math.min(DEFAULT_HEALTH_TIMEOUT_MS, this.config.ollamaTimeoutSec * 1000);
    const embedding = { name: this.config.embeddingModel, present: false };
    const chat = { name: this.config.chatModel, present: false };
    try {
      const [version, models] = await Promise.all([
        this.version({ ...opts, timeoutMs }),
        this.listModels({ ...opts, timeoutMs }),
      ]);
      const installed = new Set(models.map((m) => normalizeModelName(m.name)));
      embedding.present = installed.has(normalizeModelName(embedding.name));
      chat.present = installed.has(normalizeModelName(chat.name));
      return { reachable: true, url: this.url, version, models: { embedding, chat } };
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      return { reachable: false, url: this.url, error, models: { embedding, chat } };
    }
  }

  // ---------------------------------------------------------------- plumbing

  /** A client whose every fetch obeys the guard; ollama-js passes no signal on non-streamed calls itself. */
  private clientFor(guard: RequestGuard, onAnswered?: () => void): Ollama {
    const guardedFetch: typeof fetch = async (input, init) => {
      const response = await fetch(input, { ...init, signal: guard.signal });
      onAnswered?.();
      if (response.ok || response.headers.get('content-type')?.includes('application/json')) return response;
      // ollama-js console.logs while reading a non-JSON error (Go's "404 page not found"); hand it JSON instead.
      const text = (await response.text()).trim();
      return new Response(JSON.stringify({ error: text || `${response.status} ${response.statusText}` }), {
        status: response.status,
        statusText: response.statusText,
        headers: { 'content-type': 'application/json' },
      });
    };
    return new Ollama({ host: this.config.ollamaBaseUrl, fetch: guardedFetch });
  }

  private async request<T>(
    operation: string,
    run: (client: Ollama) => Promise<T>,
    opts: RequestOptions & { model?: string; onAnswered?: () => void },
  ): Promise<T> {
    const timeoutMs = opts.timeoutMs ?? this.config.ollamaTimeoutSec * 1000;
    const guard = new RequestGuard(opts.signal, timeoutMs);
    try {
      return await run(this.clientFor(guard, opts.onAnswered));
    } catch (err) {
      throw toOllamaError(err, this.failureContext(operation, opts.model, guard, timeoutMs, false));
    } finally {
      guard.dispose();
    }
  }

  /** Yields a streamed response's lines; the timeout applies to each wait for the next line, not the total. */
  private async *stream<T extends object>(
    operation: string,
    start: (client: Ollama) => Promise<AsyncIterable<T>>,
    opts: RequestOptions & { model?: string },
  ): AsyncGenerator<T> {
    const timeoutMs = opts.timeoutMs ?? this.config.ollamaTimeoutSec * 1000;
    const guard = new RequestGuard(opts.signal, timeoutMs);
    let started = false;
    let finished = false;
    try {
      const parts = await start(this.clientFor(guard));
      started = true;
      guard.restartTimer();
      for await (const part of parts) {
        guard.pauseTimer(); // a slow consumer is not a stalled Ollama
        yield part;
        guard.restartTimer();
      }
      finished = true;
    } catch (err) {
      throw toOllamaError(err, this.failureContext(operation, opts.model, guard, timeoutMs, started));
    } finally {
      // Reached early when the consumer stops iterating: close the connection so Ollama stops generating.
      if (!finished) guard.abort();
      guard.dispose();
    }
  }

  private failureContext(
    operation: string,
    model: string | undefined,
    guard: RequestGuard,
    timeoutMs: number,
    streamStarted: boolean,
  ) {
    return {
      url: this.url,
      operation,
      model,
      callerAborted: guard.callerAborted,
      timedOut: guard.timedOut,
      timeoutSec: Math.round(timeoutMs / 100) / 10,
      streamStarted,
    };
  }
}

function usageOf(response: Partial<OllamaChatResponse>): ChatUsage {
  const usage: ChatUsage = {};
  const ms = (ns: number | undefined): number | undefined => (typeof ns === 'number' && ns > 0 ? ns / 1e6 : undefined);
  if (typeof response.prompt_eval_count === 'number') usage.promptTokens = response.prompt_eval_count;
  if (typeof response.eval_count === 'number') usage.completionTokens = response.eval_count;
  const timings: Array<[keyof ChatUsage, number | undefined]> = [
    ['totalDurationMs', ms(response.total_duration)],
    ['loadDurationMs', ms(response.load_duration)],
    ['promptEvalDurationMs', ms(response.prompt_eval_duration)],
    ['evalDurationMs', ms(response.eval_duration)],
  ];
  for (const [key, value] of timings) if (value !== undefined) usage[key] = value;
  return usage;
}

function normalizeToUnitLength(vector: number[]): number[] {
  let sumOfSquares = 0;
  for (const x of vector) sumOfSquares += x * x;
  const norm = Math.sqrt(sumOfSquares);
  return norm > 0 ? vector.map((x) => x / norm) : vector;
}
