/** Shapes of the public REST API as the UI reads them (web/README.md lists the endpoints). */

export type Role = 'admin' | 'member';

export interface User {
  id: string;
  email: string;
  role: Role;
  createdAt?: string;
}

export interface LoginResponse {
  accessToken: string;
  expiresIn: number;
  user: User;
}

/** Error body of every failed request: `{statusCode, error, message}`. */
export interface ApiErrorBody {
  statusCode: number;
  error: string;
  message: string | string[];
}

export type SearchMode = 'hybrid' | 'vector' | 'keyword';

/** A knowledge base's answer and retrieval overrides (`settings`); null in a PATCH clears a value. */
export interface KnowledgeBaseSettings {
  prompt?: string | null;
  chatModel?: string | null;
  searchMode?: SearchMode | null;
  topK?: number | null;
  minScore?: number | null;
  /** 'text': answer with noHitText without calling the model; 'model': let the model answer without sources. */
  noHitMode?: 'text' | 'model' | null;
  noHitText?: string | null;
  rewriteFollowUps?: boolean | null;
  historyTurns?: number | null;
  numCtx?: number | null;
  temperature?: number | null;
  /** OCR of scanned pages and images: 'auto' (default) or 'off'. */
  ocr?: 'auto' | 'off' | null;
  /** Tesseract languages, e.g. ["chi_sim", "eng"]; default: the server's OCR_LANGUAGES. */
  ocrLanguages?: string[] | null;
}

/** Where a passage of a format without PDF pages is: slides, chapters, or a sheet's rows. */
export interface ChunkLocation {
  kind: 'slide' | 'chapter' | 'rows';
  from: number;
  to: number;
  sheet?: string;
}

export interface KnowledgeBase {
  id: string;
  slug?: string;
  name: string;
  description?: string;
  embeddingModel: string;
  embeddingDimension?: number;
  chunkSize: number;
  chunkOverlap: number;
  settings?: KnowledgeBaseSettings;
  documentCount?: number;
  chunkCount?: number;
  createdAt?: string;
  updatedAt?: string;
}

export interface KnowledgeBaseInput {
  name: string;
  description?: string;
  embeddingModel?: string;
  chunkSize?: number;
  chunkOverlap?: number;
  settings?: KnowledgeBaseSettings;
}

export type DocumentStatus = 'queued' | 'parsing' | 'chunking' | 'embedding' | 'ready' | 'failed';

export interface DocumentItem {
  id: string;
  knowledgeBaseId: string;
  filename: string;
  mimeType?: string;
  sizeBytes?: number;
  sha256?: string;
  status: DocumentStatus;
  progress: number;
  /** A passing condition, e.g. "Waiting for Ollama (…)" while a stage retries. */
  statusDetail?: string | null;
  pageCount?: number | null;
  chunkCount?: number | null;
  error?: { code: string; message: string } | null;
  createdAt?: string;
  updatedAt?: string;
}

export interface UploadedDocument {
  id: string;
  filename: string;
  status: DocumentStatus;
  duplicate: boolean;
}

export interface Page<T> {
  items: T[];
  total: number;
}

export interface Chunk {
  id: string;
  ordinal: number;
  title?: string;
  content: string;
  pageFrom?: number | null;
  pageTo?: number | null;
  location?: ChunkLocation | null;
  enabled: boolean;
}

export interface SearchRequest {
  query: string;
  mode?: SearchMode;
  topK?: number;
  minScore?: number;
}

export interface SearchResult {
  chunkId: string;
  documentId: string;
  documentName: string;
  title?: string;
  content: string;
  pageFrom?: number | null;
  pageTo?: number | null;
  location?: ChunkLocation | null;
  score: number;
  vectorScore?: number | null;
  keywordScore?: number | null;
  /** Rank in each leg's candidates (null when that leg did not find the passage). */
  vectorRank?: number | null;
  keywordRank?: number | null;
}

export interface SearchResponse {
  results: SearchResult[];
  timings?: { embedMs?: number; searchMs?: number };
}

export interface Citation {
  index: number;
  chunkId: string;
  documentId: string;
  documentName: string;
  pageFrom?: number | null;
  pageTo?: number | null;
  location?: ChunkLocation | null;
  snippet?: string;
  title?: string;
  content?: string;
}

export interface AskUsage {
  promptTokens?: number;
  completionTokens?: number;
}

export interface AskDone {
  answer: string;
  citations: Citation[];
  conversationId: string;
  messageId: string;
  usage?: AskUsage;
  timings?: Record<string, number>;
}

export interface ConversationSummary {
  id: string;
  knowledgeBaseId?: string;
  title?: string;
  createdAt?: string;
  updatedAt?: string;
}

/** One question/answer as the chat page shows it. */
export interface ChatTurn {
  messageId?: string;
  question: string;
  answer: string;
  citations: Citation[];
  /** Candidates sent to the model (from the `sources` event) — used while the answer streams. */
  sources?: Citation[];
  status: 'streaming' | 'done' | 'error' | 'stopped';
  error?: string;
  usage?: AskUsage;
  timings?: Record<string, number>;
}

export interface OllamaModel {
  name: string;
  size?: number;
  modifiedAt?: string;
  family?: string;
  parameterSize?: string;
  quantization?: string;
  capabilities?: string[];
}

export interface PullProgress {
  status: string;
  digest?: string;
  total?: number;
  completed?: number;
}

export type ApiKeyScope = 'ask' | 'write';

export interface ApiKey {
  id: string;
  name: string;
  /** First characters of the secret, e.g. "zk_AbC1234…". */
  prefix?: string;
  ownerEmail?: string;
  knowledgeBaseIds: string[] | 'all';
  scopes: ApiKeyScope[];
  expiresAt?: string | null;
  lastUsedAt?: string | null;
  createdAt?: string;
}

export interface ApiKeyInput {
  name: string;
  knowledgeBaseIds: string[] | 'all';
  scopes: ApiKeyScope[];
  expiresAt?: string;
}

export interface HealthComponent {
  status: 'up' | 'down' | string;
  message?: string;
  [key: string]: unknown;
}

/** What the UI takes out of GET /health (see api/health.ts for the shapes it accepts). */
export interface HealthSummary {
  reachable: boolean;
  ok: boolean;
  ollamaUp: boolean;
  ollamaUrl?: string;
  ollamaVersion?: string;
  embeddingModel?: string;
  chatModel?: string;
  missingModels: string[];
  message?: string;
  hint?: string;
  components: Record<string, HealthComponent>;
}

/**
 * Element Plus types a table column's slot row as Record<string, any> (a column can't see its table's data
 * type), so a slot that names its row type fails the type check. Slots declare `{ row: TableRow<T> }`:
 * it documents the row type and stays assignable.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type TableRow<T> = T & any;
