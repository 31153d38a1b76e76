import type { ApiErrorBody } from './types';

const TOKEN_KEY = 'zhiku.token';

export function getToken(): string | null {
  try {
    return localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function setToken(token: string | null): void {
  if (token) localStorage.setItem(TOKEN_KEY, token);
  else localStorage.removeItem(TOKEN_KEY);
}

/** An API failure with the server's `message` (what the UI shows) and its `error` code. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly body?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

type Listener = (err: ApiError) => void;
let onUnauthorized: Listener = () => undefined;
let onSetupRequired: Listener = () => undefined;

/** The router registers what to do on 401 (back to login) and when the first-run setup is pending. */
export function setAuthHandlers(handlers: { unauthorized: Listener; setupRequired: Listener }): void {
  onUnauthorized = handlers.unauthorized;
  onSetupRequired = handlers.setupRequired;
}

export function authHeaders(extra: Record<string, string> = {}): Record<string, string> {
  const token = getToken();
  return token ? { ...extra, Authorization: `Bearer ${token}` } : extra;
}

function messageOf(body: unknown, fallback: string): string {
  if (body && typeof body === 'object') {
    const b = body as Partial<ApiErrorBody> & { error?: unknown };
    if (Array.isArray(b.message)) return b.message.join('; ');
    if (typeof b.message === 'string' && b.message) return b.message;
    if (b.error && typeof b.error === 'object' && typeof (b.error as { message?: unknown }).message === 'string') {
      return (b.error as { message: string }).message;
    }
    if (typeof b.error === 'string' && b.error) return b.error;
  }
  if (typeof body === 'string' && body.trim()) return body.trim().slice(0, 300);
  return fallback;
}

function codeOf(body: unknown, status: number): string {
  if (body && typeof body === 'object') {
    const b = body as { error?: unknown; code?: unknown };
    if (typeof b.code === 'string') return b.code;
    if (typeof b.error === 'string') return b.error;
  }
  return `HTTP_${status}`;
}

async function readBody(res: Response): Promise<unknown> {
  const text = await res.text();
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Turns a non-2xx response (or a network failure) into an ApiError and runs the auth handlers. */
export async function toApiError(res: Response, opts: { skipAuthRedirect?: boolean } = {}): Promise<ApiError> {
  const body = await readBody(res);
  const err = new ApiError(
    res.status,
    codeOf(body, res.status),
    messageOf(body, `${res.status} ${res.statusText}`),
    body,
  );
  raise(err, opts);
  return err;
}

export function raise(err: ApiError, opts: { skipAuthRedirect?: boolean } = {}): void {
  if (err.status === 401 && !opts.skipAuthRedirect) onUnauthorized(err);
  if (/SETUP_REQUIRED/i.test(err.code)) onSetupRequired(err);
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  query?: Record<string, string | number | boolean | undefined | null>;
  signal?: AbortSignal;
  /** Public routes (login, setup): a 401 there is a wrong password, not an expired session. */
  skipAuthRedirect?: boolean;
  headers?: Record<string, string>;
}

export function buildUrl(path: string, query?: RequestOptions['query']): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

/** JSON request to the API with the Bearer token; resolves to the parsed body, rejects with ApiError. */
export async function request<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const headers = authHeaders({ Accept: 'application/json', ...(opts.headers ?? {}) });
  let body: BodyInit | undefined;
  if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  let res: Response;
  try {
    res = await fetch(buildUrl(path, opts.query), { method: opts.method ?? 'GET', headers, body, signal: opts.signal });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError(0, 'NETWORK_ERROR', (e as Error).message || 'Network error');
  }
  if (!res.ok) throw await toApiError(res, opts);
  if (res.status === 204) return undefined as T;
  return (await readBody(res)) as T;
}

/** Fetches a protected file with the token and returns a blob URL (revoke it when done). */
export async function fetchBlobUrl(path: string): Promise<{ url: string; filename?: string }> {
  const res = await fetch(path, { headers: authHeaders() });
  if (!res.ok) throw await toApiError(res);
  const blob = await res.blob();
  const cd = res.headers.get('Content-Disposition') ?? '';
  const star = /filename\*=UTF-8''([^;]+)/i.exec(cd);
  const plain = /filename="?([^";]+)"?/i.exec(cd);
  let filename: string | undefined;
  try {
    filename = star ? decodeURIComponent(star[1]) : plain?.[1];
  } catch {
    filename = plain?.[1];
  }
  return { url: URL.createObjectURL(blob), filename };
}
