import { ApiError, request } from './http';
import { streamRequest } from './sse';
import type {
  ApiKey,
  ApiKeyInput,
  AskDone,
  Chunk,
  Citation,
  ConversationSummary,
  DocumentItem,
  KnowledgeBase,
  KnowledgeBaseInput,
  LoginResponse,
  OllamaModel,
  Page,
  PullProgress,
  Role,
  SearchRequest,
  SearchResponse,
  User,
} from './types';

export { ApiError } from './http';
export type * from './types';

const enc = encodeURIComponent;
type Obj = Record<string, unknown>;

// ─── accounts (issue 5) ──────────────────────────────────────────────────────
export const authApi = {
  login: (email: string, password: string) =>
    request<LoginResponse>('/api/auth/login', { method: 'POST', body: { email, password }, skipAuthRedirect: true }),
  me: () => request<User>('/api/auth/me'),
  /** Every earlier token stops working: the response is a fresh session (same shape as login). */
  changePassword: (currentPassword: string, newPassword: string) =>
    request<LoginResponse | undefined>('/api/auth/password', {
      method: 'POST',
      body: { currentPassword, newPassword },
    }),
};

/** First-run setup: GET → {required}; POST {email, password} → same body as login. */
export const setupApi = {
  status: () => request<{ required: boolean }>('/api/setup', { skipAuthRedirect: true }),
  create: (email: string, password: string) =>
    request<LoginResponse>('/api/setup', { method: 'POST', body: { email, password }, skipAuthRedirect: true }),
};

export const usersApi = {
  list: async () => (await request<Page<User>>('/api/users')).items,
  create: (body: { email: string; password: string; role: Role }) =>
    request<User>('/api/users', { method: 'POST', body }),
  update: (id: string, body: { role?: Role; password?: string; email?: string }) =>
    request<User>(`/api/users/${enc(id)}`, { method: 'PATCH', body }),
  remove: (id: string) => request<void>(`/api/users/${enc(id)}`, { method: 'DELETE' }),
};

export const apiKeysApi = {
  list: async () => (await request<Page<ApiKey>>('/api/api-keys')).items,
  /** The response is the key's view plus its `secret`, shown this once. */
  async create(body: ApiKeyInput): Promise<{ key: ApiKey; secret: string }> {
    const { secret, ...key } = await request<ApiKey & { secret: string }>('/api/api-keys', { method: 'POST', body });
    return { key, secret };
  },
  revoke: (id: string) => request<void>(`/api/api-keys/${enc(id)}`, { method: 'DELETE' }),
};

// ─── knowledge bases and documents (issue 3) ────────────────────────────────
export const kbApi = {
  list: () => request<KnowledgeBase[]>('/api/knowledge-bases'),
  get: (id: string) => request<KnowledgeBase>(`/api/knowledge-bases/${enc(id)}`),
  create: (body: KnowledgeBaseInput) => request<KnowledgeBase>('/api/knowledge-bases', { method: 'POST', body }),
  update: (id: string, body: Partial<KnowledgeBaseInput>) =>
    request<KnowledgeBase>(`/api/knowledge-bases/${enc(id)}`, { method: 'PATCH', body }),
  remove: (id: string) => request<void>(`/api/knowledge-bases/${enc(id)}`, { method: 'DELETE' }),
};

export const documentsApi = {
  list: async (kbId: string, q: { status?: string; q?: string; page?: number; pageSize?: number } = {}) =>
    request<Page<DocumentItem>>(`/api/knowledge-bases/${enc(kbId)}/documents`, { query: q }),
  get: (id: string) => request<DocumentItem>(`/api/documents/${enc(id)}`),
  reindex: (id: string) => request<unknown>(`/api/documents/${enc(id)}/reindex`, { method: 'POST' }),
  remove: (id: string) => request<void>(`/api/documents/${enc(id)}`, { method: 'DELETE' }),
  fileUrl: (id: string) => `/api/documents/${enc(id)}/file`,
  chunks: async (id: string, page = 1, pageSize = 20) =>
    request<Page<Chunk>>(`/api/documents/${enc(id)}/chunks`, { query: { page, pageSize } }),
  updateChunk: (id: string, body: { content?: string; enabled?: boolean }) =>
    request<Chunk>(`/api/chunks/${enc(id)}`, { method: 'PATCH', body }),
  /** Live status/progress of a knowledge base's documents, read with fetch so the token stays in a header. */
  events: (kbId: string, signal: AbortSignal, onEvent: (event: string, data: unknown) => void, onOpen?: () => void) =>
    streamRequest(`/api/knowledge-bases/${enc(kbId)}/events`, { signal, onEvent, onOpen }),
};

// ─── retrieval and answers (issue 4) ────────────────────────────────────────
export const searchApi = {
  search: (kbId: string, body: SearchRequest) =>
    request<SearchResponse>(`/api/knowledge-bases/${enc(kbId)}/search`, { method: 'POST', body }),
};

export interface AskHandlers {
  onSources?: (citations: Citation[], ids: { conversationId?: string; messageId?: string }) => void;
  onDelta: (content: string) => void;
  onDone: (done: AskDone) => void;
  onError: (err: { code: string; message: string }) => void;
}

export const chatApi = {
  /** POST …/ask with stream: true, read as SSE events sources / delta / done / error. */
  ask(kbId: string, body: { question: string; conversationId?: string }, handlers: AskHandlers, signal?: AbortSignal) {
    return streamRequest(`/api/knowledge-bases/${enc(kbId)}/ask`, {
      method: 'POST',
      body: { ...body, stream: true },
      signal,
      onEvent(event, data) {
        const d = (data ?? {}) as Obj;
        if (event === 'sources') {
          handlers.onSources?.((d.citations as Citation[]) ?? [], {
            conversationId: d.conversationId as string | undefined,
            messageId: d.messageId as string | undefined,
          });
        } else if (event === 'delta') handlers.onDelta(typeof d.content === 'string' ? d.content : '');
        else if (event === 'done') handlers.onDone(d as unknown as AskDone);
        else if (event === 'error')
          handlers.onError({ code: String(d.code ?? 'ERROR'), message: String(d.message ?? 'Error') });
      },
    });
  },
  /** The caller's conversations in a knowledge base, newest first. */
  listConversations: async (kbId: string) =>
    (await request<Page<ConversationSummary>>(`/api/knowledge-bases/${enc(kbId)}/conversations`)).items,
  deleteConversation: (id: string) => request<void>(`/api/conversations/${enc(id)}`, { method: 'DELETE' }),
  getConversation: (id: string) => request<Obj>(`/api/conversations/${enc(id)}`),
  trace: (conversationId: string, messageId: string) =>
    request<Obj>(`/api/conversations/${enc(conversationId)}/messages/${enc(messageId)}/trace`),
};

// ─── models ─────────────────────────────────────────────────────────────────
type InstalledModel = Omit<OllamaModel, 'quantization'> & { quantizationLevel?: string };

export const modelsApi = {
  /** GET /api/models → {models:[…]}, Ollama's installed models. */
  list: async (): Promise<OllamaModel[]> =>
    (await request<{ models: InstalledModel[] }>('/api/models')).models.map(({ quantizationLevel, ...m }) => ({
      ...m,
      quantization: quantizationLevel,
    })),
  /** POST /api/models/pull {name} → SSE events `progress`, then `done` or `error`. */
  pull(name: string, onProgress: (p: PullProgress) => void, signal?: AbortSignal): Promise<void> {
    let failure: ApiError | undefined;
    let succeeded = false;
    return streamRequest('/api/models/pull', {
      method: 'POST',
      body: { name },
      signal,
      onEvent(event, data) {
        const d = (data ?? {}) as Obj;
        if (event === 'error') {
          failure = new ApiError(200, String(d.code ?? 'PULL_FAILED'), String(d.message ?? 'Pull failed'), d);
          return;
        }
        if (event === 'done') succeeded = true;
        onProgress({
          status: String(d.status ?? event),
          digest: d.digest as string | undefined,
          total: d.total as number | undefined,
          completed: d.completed as number | undefined,
        });
      },
    }).then(() => {
      if (failure) throw failure;
      if (!succeeded) throw new ApiError(200, 'PULL_INCOMPLETE', 'The pull ended before Ollama reported success');
    });
  },
};

/** Embedding models first (by capability when Ollama reports it, else by well-known names). */
export function isEmbeddingModel(m: OllamaModel): boolean {
  if (m.capabilities?.length) return m.capabilities.includes('embedding');
  return /embed|bge|m3e|e5|gte|minilm|nomic|mxbai|bce/i.test(m.name);
}
