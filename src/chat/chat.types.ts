import type { ChunkLocation } from '../documents/chunk-location';
import type { ConversationSource } from './conversation.entity';
import type { ChatOptions } from '../llm/llm.types';
import type { SearchMode, SearchTrace } from '../retrieval/retrieval.types';

/** A source given to the model as `[index]`, and how an answer cites it. */
export interface Citation {
  index: number;
  chunkId: string;
  documentId: string;
  documentName: string;
  title: string;
  pageFrom: number | null;
  pageTo: number | null;
  /** Slides, chapters or a sheet's rows, for formats without PDF pages. */
  location?: ChunkLocation | null;
  /** The start of the passage, for a preview. */
  snippet: string;
}

export interface AnswerUsage {
  promptTokens: number | null;
  completionTokens: number | null;
}

export interface AnswerTimings {
  /** Rewriting the follow-up, embedding the query and searching. */
  retrievalMs: number;
  /** From the request to the first token of the answer (null when no model was called). */
  firstTokenMs: number | null;
  totalMs: number;
}

/** How the context window was shared out. Token counts are estimates (CJK ≈ 1, else 4 characters a token). */
export interface BudgetTrace {
  numCtx: number;
  /** The chat model's trained context length from /api/show, when known. */
  modelContextLength: number | null;
  systemTokens: number;
  historyTokens: number;
  questionTokens: number;
  answerReserve: number;
  sourceBudget: number;
  sourceTokens: number;
  /** Chunks that fitted, in prompt order. */
  used: { index: number; chunkId: string; tokens: number }[];
  /** Lower-ranked chunks left out because they did not fit. */
  dropped: { chunkId: string; tokens: number }[];
  /** Oldest history messages left out so the sources keep room. */
  droppedHistoryMessages: number;
}

export interface AnswerTrace {
  question: string;
  /** What was searched: the question itself, or the follow-up rewritten into a standalone query. */
  searchQuery: string;
  rewrite: { query: string; ms: number; model: string } | null;
  language: 'zh' | 'en';
  historyMessages: number;
  search: SearchTrace & { embedMs: number; searchMs: number };
  budget: BudgetTrace | null;
  /** `text`: nothing passed minScore and the knowledge base's not-found text was the answer. */
  noHit: 'text' | 'model' | null;
  model: string | null;
  /** The options sent to Ollama's /api/chat (num_ctx always). */
  options: ChatOptions;
  usage: AnswerUsage;
  timings: AnswerTimings & { rewriteMs: number; embedMs: number; searchMs: number; generationMs: number | null };
  doneReason: string | null;
}

/** Everything an ask needs, whichever API it came through. */
export interface AskInput {
  question: string;
  conversationId?: string;
  mode?: SearchMode;
  topK?: number;
  /** Earlier turns sent by the client (/v1); REST asks take them from the stored conversation instead. */
  history?: { role: 'user' | 'assistant'; content: string }[];
  /** Generation options from the client (/v1, /ollama): passed through to Ollama. */
  temperature?: number;
  topP?: number;
  maxTokens?: number;
  /** The context window the client asks for (/ollama `num_ctx`); never above the chat model's. */
  numCtx?: number;
  source?: ConversationSource;
}

export interface AskResult {
  answer: string;
  citations: Citation[];
  conversationId: string;
  messageId: string;
  usage: AnswerUsage;
  timings: AnswerTimings;
  /** `stop`, `length` (max tokens reached) or `no_hit`. */
  finishReason: string;
}

/** What a streamed ask yields, in order: sources, deltas, then done or error. */
export type AskEvent =
  | { type: 'sources'; citations: Citation[]; conversationId: string; messageId: string }
  | { type: 'delta'; content: string }
  | { type: 'done'; result: AskResult }
  | { type: 'error'; code: string; message: string };
