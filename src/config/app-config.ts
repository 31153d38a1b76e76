import * as path from 'node:path';

export type ServiceRole = 'api' | 'worker' | 'all';

/** Typed settings, read and validated once at start-up (see loadAppConfig). */
export interface AppConfig {
  databaseUrl: string;
  redisUrl: string;
  /** Prefix of every Redis key Bull writes; lets several deployments (or test runs) share one Redis. */
  queuePrefix: string;
  ollamaBaseUrl: string;
  embeddingModel: string;
  chatModel: string;
  /** num_ctx sent on every /api/chat, clamped to the model's context length. */
  chatNumCtx: number;
  port: number;
  host: string;
  role: ServiceRole;
  dataDir: string;
  maxUploadMb: number;
  embedBatchSize: number;
  embedConcurrency: number;
  /**
   * A knowledge base gets its HNSW index once it holds this many chunks (built in bulk, after the load that
   * crosses the line); below it, vector search is an exact scan of its chunks, which is fast at that size.
   */
  vectorIndexMinChunks: number;
  /** maintenance_work_mem for an HNSW build: the graph must fit for a fast in-memory build. */
  vectorIndexBuildMemoryMb: number;
  /** Documents one worker process ingests at once. */
  ingestionConcurrency: number;
  /** Seconds between reconciler passes (re-enqueue documents whose job was lost, e.g. Redis lost its data). */
  ingestionReconcileSec: number;
  /** Seconds an Ollama request may take before it counts as failed. */
  ollamaTimeoutSec: number;
  /** Pages one worker process recognizes at once (OCR of scans and images; one CPU core each). */
  ocrConcurrency: number;
  /** Tesseract languages for OCR, e.g. ["chi_sim", "eng"]; a knowledge base may set its own. */
  ocrLanguages: string[];
  adminEmail?: string;
  adminPassword?: string;
  jwtSecret?: string;
  jwtExpiresInSec: number;
  /** Questions and searches one API key may make per minute (across all API replicas). */
  apiKeyAskLimitPerMin: number;
  /** Seconds an events stream stays open before the server ends it, so the client reconnects and is authorized again. */
  eventStreamMaxSec: number;
  corsOrigins: string[];
  /**
   * Which proxies' X-Forwarded-For/-Proto headers to believe (Express's "trust proxy"): `false`, `true`,
   * a hop count, or addresses/CIDRs/`loopback`/`linklocal`/`uniquelocal`.
   */
  trustProxy: boolean | number | string[];
  /**
   * When to send HTTPS-only headers (HSTS, CSP upgrade-insecure-requests): `auto` only on requests that
   * arrived over HTTPS (directly or through a trusted proxy's X-Forwarded-Proto), `always`, or `never`.
   * Sent over plain HTTP they make a browser that opened http://<host>:3000 fetch every script over HTTPS.
   */
  httpsHeaders: 'auto' | 'always' | 'never';
  logLevel: string;
  /** Serve the built admin UI from this folder at `/` (empty: do not serve). */
  webDir: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

type Env = Record<string, string | undefined>;

/** Reads and validates every setting; collects all problems so one run names every bad variable. */
export function loadAppConfig(env: Env = process.env): AppConfig {
  const problems: string[] = [];
  const read = (name: string, fallback?: string): string | undefined => {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') return fallback;
    return raw.trim();
  };
  const required = (name: string, hint: string): string => {
    const value = read(name);
    if (!value) problems.push(`${name} is required (${hint})`);
    return value ?? '';
  };
  const url = (name: string, value: string, protocols: string[]): string => {
    if (!value) return value;
    try {
      const parsed = new URL(value);
      if (!protocols.includes(parsed.protocol)) {
        problems.push(`${name} must start with ${protocols.map((p) => p + '//').join(' or ')}, got "${value}"`);
      }
    } catch {
      problems.push(`${name} is not a valid URL: "${value}"`);
    }
    return value;
  };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const value = read(name);
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name} must be a whole number from ${min} to ${max}, got "${value}"`);
      return fallback;
    }
    return n;
  };

  const databaseUrl = url('DATABASE_URL', required('DATABASE_URL', 'e.g. postgres://postgres@127.0.0.1:5432/zhiku'), [
    'postgres:',
    'postgresql:',
  ]);
  const redisUrl = url('REDIS_URL', read('REDIS_URL', 'redis://127.0.0.1:6379')!, ['redis:', 'rediss:']);
  const ollamaBaseUrl = url(
    'OLLAMA_BASE_URL',
    (read('OLLAMA_BASE_URL', 'http://127.0.0.1:11434') as string).replace(/\/+$/, ''),
    ['http:', 'https:'],
  );
  if (ollamaBaseUrl && /^https?:\/\/[^/:]+\/?$/.test(ollamaBaseUrl)) {
    // ollama-js turns http://host into port 80: a classic mistake, so demand the port.
    problems.push(`OLLAMA_BASE_URL must include the port, e.g. http://172.17.0.1:11434, got "${ollamaBaseUrl}"`);
  }

  const role = read('ROLE', 'all') as string;
  if (!['api', 'worker', 'all'].includes(role)) {
    problems.push(`ROLE must be one of api, worker, all, got "${role}"`);
  }
  const logLevel = read('LOG_LEVEL', 'info') as string;
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    problems.push(`LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "${logLevel}"`);
  }

  const adminEmail = read('ADMIN_EMAIL');
  const adminPassword = read('ADMIN_PASSWORD');
  if (adminEmail && !/^[^\s@]+@[^\s@]+$/.test(adminEmail))
    problems.push(`ADMIN_EMAIL is not an email address: "${adminEmail}"`);
  if (adminPassword !== undefined && adminPassword.length < 8)
    problems.push('ADMIN_PASSWORD must be at least 8 characters');
  if ((adminEmail && !adminPassword) || (!adminEmail && adminPassword)) {
    problems.push('ADMIN_EMAIL and ADMIN_PASSWORD must be set together');
  }
  const trustProxy = parseTrustProxy(read('TRUST_PROXY', 'loopback') as string);
  if (trustProxy === undefined) {
    problems.push(
      `TRUST_PROXY must be true, false, a number of proxy hops, or a comma-separated list of addresses/CIDRs (or loopback, linklocal, uniquelocal), got "${read('TRUST_PROXY')}"`,
    );
  }
  const httpsHeaders = read('HTTPS_HEADERS', 'auto') as string;
  if (!['auto', 'always', 'never'].includes(httpsHeaders)) {
    problems.push(`HTTPS_HEADERS must be one of auto, always, never, got "${httpsHeaders}"`);
  }
  const ocrLanguages = (read('OCR_LANGUAGES', 'chi_sim+eng') as string).split(/[+,\s]+/).filter(Boolean);
  if (!ocrLanguages.length || !ocrLanguages.every((l) => OCR_LANGUAGE.test(l))) {
    problems.push(
      `OCR_LANGUAGES must be Tesseract language codes joined by +, e.g. chi_sim+eng, got "${read('OCR_LANGUAGES')}"`,
    );
  }
  const jwtSecret = read('JWT_SECRET');
  if (jwtSecret !== undefined && jwtSecret.length < 16) problems.push('JWT_SECRET must be at least 16 characters');

  const config: AppConfig = {
    databaseUrl,
    redisUrl,
    queuePrefix: read('QUEUE_PREFIX', 'zhiku') as string,
    ollamaBaseUrl,
    embeddingModel: read('EMBEDDING_MODEL', 'bge-m3') as string,
    chatModel: read('CHAT_MODEL', 'qwen2.5:7b') as string,
    chatNumCtx: int('CHAT_NUM_CTX', 8192, 512, 1_048_576),
    port: int('PORT', 3000, 0, 65535),
    host: read('HOST', '0.0.0.0') as string,
    role: role as ServiceRole,
    dataDir: path.resolve(read('DATA_DIR', './data') as string),
    maxUploadMb: int('MAX_UPLOAD_MB', 100, 1, 10_240),
    embedBatchSize: int('EMBED_BATCH_SIZE', 32, 1, 1024),
    embedConcurrency: int('EMBED_CONCURRENCY', 2, 1, 64),
    vectorIndexMinChunks: int('VECTOR_INDEX_MIN_CHUNKS', 2000, 1, 1_000_000_000),
    vectorIndexBuildMemoryMb: int('VECTOR_INDEX_BUILD_MEMORY_MB', 1024, 64, 65_536),
    ingestionConcurrency: int('INGESTION_CONCURRENCY', 2, 1, 32),
    ingestionReconcileSec: int('INGESTION_RECONCILE_SEC', 60, 1, 86_400),
    ollamaTimeoutSec: int('OLLAMA_TIMEOUT_SEC', 300, 1, 86_400),
    ocrConcurrency: int('OCR_CONCURRENCY', 2, 1, 64),
    ocrLanguages,
    adminEmail,
    adminPassword,
    jwtSecret,
    jwtExpiresInSec: int('JWT_EXPIRES_IN_SEC', 86_400, 60, 31_536_000),
    apiKeyAskLimitPerMin: int('API_KEY_ASK_LIMIT_PER_MIN', 60, 1, 1_000_000),
    eventStreamMaxSec: int('EVENT_STREAM_MAX_SEC', 900, 1, 86_400),
    corsOrigins: (read('CORS_ORIGINS', '') as string)
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    trustProxy: trustProxy ?? ['loopback'],
    httpsHeaders: httpsHeaders as AppConfig['httpsHeaders'],
    logLevel,
    webDir: path.resolve(read('WEB_DIR', 'web/dist') as string),
  };
  if (problems.length) throw new ConfigError(problems);
  return config;
}

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);
/** A Tesseract language code: eng, chi_sim, chi_tra, deu, … */
export const OCR_LANGUAGE = /^[a-z]{3}(?:_[a-z]{3,4})?$/;

/** TRUST_PROXY in the forms Express accepts; undefined when it is none of them. */
function parseTrustProxy(raw: string): AppConfig['trustProxy'] | undefined {
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  if (/^\d+$/.test(raw)) return Number(raw);
  const entries = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const address = /^[0-9a-fA-F:.]+(\/\d{1,3})?$/;
  if (!entries.length || !entries.every((e) => PROXY_NAMES.has(e) || address.test(e))) return undefined;
  return entries;
}
