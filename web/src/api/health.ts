import { authHeaders, getToken } from './http';
import type { HealthComponent, HealthSummary } from './types';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

/**
 * Reads GET /health/details or GET /health (a @nestjs/terminus body, 200 or 503):
 *   {status, info, error, details: {database: {status}, redis: {status},
 *     ollama: {status, reachable, url?, version?, models: {embedding: {name, present}, chat: {name, present}}, message?}}}
 * (url and version for administrators; the public /health has only each `status`).
 * Ollama is reachable when it is `up`, says `reachable` or reported a version (`down` and reachable = a model is missing).
 * `message` carries the fix (how to make Ollama listen, or the `ollama pull` command). Also read, for other
 * servers: `hint`|`fix`, `missingModels: string[]`, `embeddingModel`/`chatModel` as a name or `{name, present}`.
 */
export function summarizeHealth(body: unknown, httpOk: boolean): HealthSummary {
  const b = isObj(body) ? body : {};
  const details = (
    isObj(b.details) ? b.details : { ...(isObj(b.info) ? b.info : {}), ...(isObj(b.error) ? b.error : {}) }
  ) as Obj;
  const components: Record<string, HealthComponent> = {};
  for (const [k, v] of Object.entries(details)) if (isObj(v)) components[k] = v as HealthComponent;

  const o = (components.ollama ?? {}) as Obj;
  // `down` also means "reachable but a configured model is missing": then Ollama still told its version.
  const ollamaUp = o.status === 'up' || o.reachable === true || (typeof o.version === 'string' && !!o.version);
  const missing = new Set<string>();
  if (Array.isArray(o.missingModels)) for (const m of o.missingModels) if (typeof m === 'string') missing.add(m);

  let embeddingModel: string | undefined;
  let chatModel: string | undefined;
  const readModel = (v: unknown): string | undefined => {
    if (typeof v === 'string') return v;
    if (isObj(v)) {
      const name = str(v.name) ?? str(v.model);
      if (name && (v.present === false || v.installed === false || v.available === false)) missing.add(name);
      return name;
    }
    return undefined;
  };
  const models = isObj(o.models) ? o.models : {};
  embeddingModel = readModel(models.embedding) ?? readModel(o.embeddingModel) ?? readModel(o.embedding);
  chatModel = readModel(models.chat) ?? readModel(o.chatModel) ?? readModel(o.chat);
  if (Array.isArray(o.models)) for (const m of o.models) readModel(m);

  const hint = str(o.hint) ?? str(o.fix) ?? str(o.fixHint);
  const message = str(o.message) ?? str(o.error);
  return {
    reachable: true,
    ok: httpOk && b.status !== 'error',
    ollamaUp,
    ollamaUrl: str(o.url) ?? str(o.baseUrl) ?? str(o.host),
    ollamaVersion: str(o.version),
    embeddingModel,
    chatModel,
    missingModels: [...missing],
    message,
    hint,
    components,
  };
}

/**
 * Signed in: GET /health/details (what the caller may see; Ollama's address and the fix for administrators).
 * Signed out, or when the session is no longer accepted: the public GET /health (up or down only).
 */
export async function fetchHealth(signal?: AbortSignal): Promise<HealthSummary> {
  try {
    const ask = (path: string, headers: Record<string, string>) =>
      fetch(path, { headers: { Accept: 'application/json', ...headers }, signal, cache: 'no-store' });
    let res = getToken() ? await ask('/health/details', authHeaders()) : undefined;
    if (!res || res.status === 401 || res.status === 403) res = await ask('/health', {});
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    return summarizeHealth(body, res.ok);
  } catch {
    return { reachable: false, ok: false, ollamaUp: false, missingModels: [], components: {} };
  }
}
