import type { AppConfig } from '../config/app-config';

/** The settings OllamaClientService reads; tests can pass just these. */
export type OllamaClientConfig = Pick<
  AppConfig,
  | 'ollamaBaseUrl'
  | 'embeddingModel'
  | 'chatModel'
  | 'chatNumCtx'
  | 'ollamaTimeoutSec'
  | 'embedBatchSize'
  | 'embedConcurrency'
>;

export type ChatRole = 'system' | 'user' | 'assistant' | 'tool';

export interface ChatMessage {
  role: ChatRole;
  content: string;
}

/** Generation options passed through to Ollama's `options` (unknown keys are ignored by the server). */
export interface ChatOptions {
  num_ctx?: number;
  temperature?: number;
  top_p?: number;
  top_k?: number;
  num_predict?: number;
  seed?: number;
  stop?: string[];
  repeat_penalty?: number;
  presence_penalty?: number;
  frequency_penalty?: number;
}

export interface ChatRequest {
  /** Defaults to the configured chat model. */
  model?: string;
  messages: ChatMessage[];
  /** num_ctx defaults to config.chatNumCtx, clamped to the model's trained context length. */
  options?: ChatOptions;
  signal?: AbortSignal;
  /** Sent only when set: left out, Ollama ≥ 0.12.4 turns thinking on for models that can think. */
  think?: boolean;
  keepAlive?: string | number;
}

/** Token counts and timings of one answer. Every field is optional: Ollama omits zero metrics. */
export interface ChatUsage {
  promptTokens?: number;
  completionTokens?: number;
  totalDurationMs?: number;
  loadDurationMs?: number;
  promptEvalDurationMs?: number;
  evalDurationMs?: number;
}

/** One piece of a streamed answer. The last one has `done: true` and the usage. */
export interface ChatDelta extends ChatUsage {
  content: string;
  /** Reasoning text from thinking models, kept apart from the answer. */
  thinking?: string;
  done: boolean;
  /** `stop` or `length` (num_predict / context limit reached); only on the last delta. */
  doneReason?: string;
}

export interface ChatResult extends ChatUsage {
  model: string;
  content: string;
  thinking?: string;
  doneReason?: string;
}

export interface EmbedOptions {
  /** Defaults to the configured embedding model. */
  model?: string;
  signal?: AbortSignal;
  /**
   * Called once Ollama has answered (status and headers are in), before the vectors are downloaded and
   * parsed: from then on the model is free for the next call.
   */
  onAnswered?: () => void;
}

export interface ModelSummary {
  /** Full name with tag, as Ollama lists it (e.g. `bge-m3:latest`). */
  name: string;
  /** Bytes on disk. */
  size: number;
  modifiedAt?: string;
  digest?: string;
  family?: string;
  parameterSize?: string;
  quantization?: string;
}

export interface ModelDetails {
  name: string;
  family?: string;
  /** Output vector size; set only for embedding models (for chat LLMs `embedding_length` is the hidden size). */
  dimension?: number;
  /** The model's trained context length in tokens. */
  contextLength?: number;
  /** e.g. `embedding`, `completion`, `tools`, `thinking`, `vision`; empty on servers older than 0.6.4. */
  capabilities: string[];
  parameterSize?: string;
  quantization?: string;
}

export interface PullProgress {
  status: string;
  digest?: string;
  total?: number;
  completed?: number;
}

export interface ModelPresence {
  name: string;
  present: boolean;
}

export interface OllamaHealth {
  reachable: boolean;
  url: string;
  version?: string;
  error?: string;
  models: { embedding: ModelPresence; chat: ModelPresence };
}
