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

/** Lists arrive as `{items, total}`; a bare array (or `{data}`) is accepted too. */
function toPage<T>(body: unknown, key?: string): Page<T> {
  if (Array.isArray(body)) return { items: body as T[], total: body.length };
  const b = (body ?? {}) as Obj;
  const items = (b.items ?? (key ? b[key] : undefined) ?? b.data ?? []) as T[];
  return { items, total: typeof b.total === 'number' ? b.total : items.length };
}

// ─── accounts (issue 5) ──────────────────────────────────────────────────────
export const authApi = {
  login: (email: string, password: string) =>
    request<LoginResponse>('/api/auth/login', { method: 'POST', body: { email, password }, skipAuthRedirect: true }),
  async me(): Promise<User> {
    const body = await request<User | { user: User }>('/api/auth/me');
    return 'user' in body && body.user ? body.user : (body as User);
  },
  /** Every earlier token stops working: the response is a fresh session (same shape as login). */
  changePassword: (currentPassword: string, newPassword: string) =>
    request<LoginResponse | undefined>('/api/auth/password', {
      method: 'POST',
      body: { currentPassword, newPassword },
    }),
};

/** First-run setup (assumed contract): GET → {required}; POST {email, password} → same body as login. */
export const setupApi = {
  async status(): Promise<{ required: boolean }> {
    try {
      return await request<{ required: boolean }>('/api/setup', { skipAuthRedirect: true });
    } catch (e) {
      // A backend without the endpoint (or with setup done and the route gone) means: no setup needed.
      if (e instanceof ApiError && (e.status === 404 || e.status === 410)) return { required: false };
      throw e;
    }
  },
  create: (email: string, password: string) =>
    request<LoginResponse>('/api/setup', { method: 'POST', body: { email, password }, skipAuthRedirect: true }),
};

export const usersApi = {
  list: async () => toPage<User>(await request('/api/users'), 'users').items,
  create: (body: { email: string; password: string; role: Role }) =>
    request<User>('/api/users', { method: 'POST', body }),
  update: (id: string, body: { role?: Role; password?: string; email?: string }) =>
    request<User>(`/api/users/${enc(id)}`, { method: 'PATCH', body }),
  remove: (id: string) => request<void>(`/api/users/${enc(id)}`, { method: 'DELETE' }),
};

export const apiKeysApi = {
  list: async () => toPage<ApiKey>(await request('/api/api-keys'), 'apiKeys').items,
  /** The response carries the secret once; its field is `secret` (also read: `key`, `apiKey`, `token`). */
  async create(body: ApiKeyInput): Promise<{ key: ApiKey; secret: string }> {
    const res = await request<Obj>('/api/api-keys', { method: 'POST', body });
    const nested = (res.apiKey && typeof res.apiKey === 'object' ? res.apiKey : res) as Obj;
    const secret = [res.secret, res.key, res.apiKey, res.token, nested.secret].find(
      (v): v is string => typeof v === 'string',
    );
    return { key: nested as unknown as ApiKey, secret: secret ?? '' };
  },
  revoke: (id: string) => request<void>(`/api/api-keys/${enc(id)}`, { method: 'DELETE' }),
};

// ─── knowledge bases and documents (issue 3) ────────────────────────────────
export const kbApi = {
  list: async () => toPage<KnowledgeBase>(await request('/api/knowledge-bases'), 'knowledgeBases').items,
  get: (id: string) => request<KnowledgeBase>(`/api/knowledge-bases/${enc(id)}`),
  create: (body: KnowledgeBaseInput) => request<KnowledgeBase>('/api/knowledge-bases', { method: 'POST', body }),
  update: (id: string, body: Partial<KnowledgeBaseInput>) =>
    request<KnowledgeBase>(`/api/knowledge-bases/${enc(id)}`, { method: 'PATCH', body }),
  remove: (id: string) => request<void>(`/api/knowledge-bases/${enc(id)}`, { method: 'DELETE' }),
};

export const documentsApi = {
  list: async (kbId: string, q: { status?: string; q?: string; page?: number; pageSize?: number } = {}) =>
    toPage<DocumentItem>(await request(`/api/knowledge-bases/${enc(kbId)}/documents`, { query: q }), 'documents'),
  get: (id: string) => request<DocumentItem>(`/api/documents/${enc(id)}`),
  reindex: (id: string) => request<unknown>(`/api/documents/${enc(id)}/reindex`, { method: 'POST' }),
  remove: (id: string) => request<void>(`/api/documents/${enc(id)}`, { method: 'DELETE' }),
  fileUrl: (id: string) => `/api/documents/${enc(id)}/file`,
  chunks: async (id: string, page = 1, pageSize = 20) =>
    toPage<Chunk>(await request(`/api/documents/${enc(id)}/chunks`, { query: { page, pageSize } }), 'chunks'),
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
  /** With `sentences: true`: each complete sentence of the answer, for reading aloud. */
  onSentence?: (sentence: { index: number; text: string; citations: number[] }) => void;
}

export const chatApi = {
  /** POST …/ask with stream: true, read as SSE events sources / delta / sentence / done / error. */
  ask(
    kbId: string,
    body: { question: string; conversationId?: string; sentences?: boolean },
    handlers: AskHandlers,
    signal?: AbortSignal,
  ) {
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
        else if (event === 'sentence' && typeof d.text === 'string')
          handlers.onSentence?.({
            index: Number(d.index ?? 0),
            text: d.text,
            citations: Array.isArray(d.citations) ? (d.citations as number[]) : [],
          });
        else if (event === 'done') handlers.onDone(d as unknown as AskDone);
        else if (event === 'error')
          handlers.onError({ code: String(d.code ?? 'ERROR'), message: String(d.message ?? 'Error') });
        else if (event === 'message' && typeof d.answer === 'string') handlers.onDone(d as unknown as AskDone); // non-streamed reply
      },
    });
  },
  /** The caller's conversations in a knowledge base, newest first. */
  listConversations: async (kbId: string) =>
    toPage<ConversationSummary>(await request(`/api/knowledge-bases/${enc(kbId)}/conversations`), 'conversations')
      .items,
  deleteConversation: (id: string) => request<void>(`/api/conversations/${enc(id)}`, { method: 'DELETE' }),
  getConversation: (id: string) => request<Obj>(`/api/conversations/${enc(id)}`),
  trace: (conversationId: string, messageId: string) =>
    request<Obj>(`/api/conversations/${enc(conversationId)}/messages/${enc(messageId)}/trace`),
};

// ─── models (assumed endpoints, see web/README.md) ──────────────────────────
function toModel(m: Obj): OllamaModel {
  const d = (m.details ?? {}) as Obj;
  return {
    name: String(m.name ?? m.model ?? ''),
    size: typeof m.size === 'number' ? m.size : undefined,
    modifiedAt: (m.modifiedAt ?? m.modified_at) as string | undefined,
    family: (m.family ?? d.family) as string | undefined,
    parameterSize: (m.parameterSize ?? d.parameterSize ?? d.parameter_size) as string | undefined,
    quantization: (m.quantizationLevel ?? d.quantizationLevel ?? d.quantization_level) as string | undefined,
    capabilities: Array.isArray(m.capabilities) ? (m.capabilities as string[]) : undefined,
  };
}

export const modelsApi = {
  /** GET /api/models → {models:[…]} as Ollama's /api/tags lists them (camelCase variants accepted). */
  list: async (): Promise<OllamaModel[]> =>
    toPage<Obj>(await request('/api/models'), 'models')
      .items.map(toModel)
      .filter((m) => m.name),
  /** POST /api/models/pull {name} → SSE (`progress`/`done`/`error` events) or Ollama's NDJSON relayed. */
  pull(name: string, onProgress: (p: PullProgress) => void, signal?: AbortSignal): Promise<void> {
    let failure: ApiError | undefined;
    let succeeded = false;
    return streamRequest('/api/models/pull', {
      method: 'POST',
      body: { name },
      signal,
      onEvent(event, data) {
        const d = (data ?? {}) as Obj;
        if (event === 'error' || typeof d.error === 'string' || (d.error && typeof d.error === 'object')) {
          const msg = typeof d.message === 'string' ? d.message : typeof d.error === 'string' ? d.error : 'Pull failed';
          failure = new ApiError(200, String(d.code ?? 'PULL_FAILED'), msg, d);
          return;
        }
        if (event === 'done' || d.status === 'success') succeeded = true;
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
