/**
 * An in-memory stand-in for the zhiku REST API (issues 3–5 plus the UI's assumed endpoints), serving the
 * built UI from web/dist with an SPA fallback. It lets the admin UI be driven in a real browser before the
 * backend exists, and pins down the exact shapes the UI relies on. Not used by the real-backend walk.
 *
 *   npx ts-node --transpile-only test/ui/support/mock-api.ts   (port 4300; PORT=… to change)
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';

type Obj = Record<string, unknown>;
type Status = 'queued' | 'parsing' | 'chunking' | 'embedding' | 'ready' | 'failed';

export interface MockOptions {
  port?: number;
  webDir?: string;
  adminEmail?: string;
  adminPassword?: string;
  /** Start with no users: the UI must offer the first-run setup. */
  setupRequired?: boolean;
  ollama?: 'up' | 'down' | 'missing-models';
  maxUploadBytes?: number;
  /** Milliseconds per pipeline step (documents take ~12 steps to reach ready). */
  stepMs?: number;
  /** Milliseconds between streamed answer pieces. */
  deltaMs?: number;
}

interface MockUser {
  id: string;
  email: string;
  password: string;
  role: 'admin' | 'member';
  createdAt: string;
}
interface MockDoc {
  id: string;
  knowledgeBaseId: string;
  filename: string;
  mimeType: string;
  sizeBytes: number;
  sha256: string;
  status: Status;
  progress: number;
  statusDetail: string | null;
  pageCount: number | null;
  chunkCount: number;
  error: { code: string; message: string } | null;
  createdAt: string;
  updatedAt: string;
  bytes: Buffer;
}
interface MockChunk {
  id: string;
  documentId: string;
  knowledgeBaseId: string;
  ordinal: number;
  title: string;
  content: string;
  pageFrom: number;
  pageTo: number;
  enabled: boolean;
}

const EN_TEXT = [
  'R provides several ways to import data. The function read.table reads a file in table format and creates a data frame from it, with cases corresponding to lines and variables to fields in the file.',
  'For comma-separated values, read.csv is a convenience wrapper around read.table with sep set to a comma and header set to TRUE. Spreadsheet data is best exported to CSV first.',
  'The foreign package can read files written by other statistical systems such as SPSS, SAS and Stata. Relational databases are reached through DBI and an appropriate driver package.',
  'Binary connections and the functions readBin and writeBin allow low-level access to files. Encoding of text files can be declared with the fileEncoding argument.',
];
const ZH_TEXT = [
  '知识库把文档切分成段落，并为每个段落计算向量。检索时同时使用向量相似度和关键词匹配，再把两路结果融合排序。',
  '中文没有空格分词，因此关键词检索需要先用结巴分词把句子切成词语，再建立全文索引，这样“知识库”这样的词才能被准确命中。',
  '上传的文件会保存原件，方便重新索引和下载。解析时保留页码，回答中的引用可以直接跳转到原文对应的页面。',
  '如果 Ollama 无法连接，文档会显示正在等待 Ollama，并按指数退避自动重试，不会丢失任何任务。',
];
const CJK = /[\u4e00-\u9fff]/;

export class MockApi {
  readonly opts: Required<MockOptions>;
  private server?: http.Server;
  users: MockUser[] = [];
  private tokens = new Map<string, string>();
  kbs: Obj[] = [];
  docs: MockDoc[] = [];
  chunks: MockChunk[] = [];
  conversations: {
    id: string;
    knowledgeBaseId: string;
    title: string;
    createdAt: string;
    updatedAt: string;
    messages: Obj[];
  }[] = [];
  traces = new Map<string, Obj>();
  apiKeys: Obj[] = [];
  models = [
    {
      name: 'bge-m3:latest',
      size: 1157672605,
      modified_at: '2026-10-01T08:00:00Z',
      details: { family: 'bert', parameter_size: '566.70M', quantization_level: 'F16' },
      capabilities: ['embedding'],
    },
    {
      name: 'qwen2.5:7b',
      size: 4683087332,
      modified_at: '2026-10-02T08:00:00Z',
      details: { family: 'qwen2', parameter_size: '7.6B', quantization_level: 'Q4_K_M' },
      capabilities: ['completion', 'tools'],
    },
  ];
  private subscribers = new Map<string, Set<http.ServerResponse>>();
  /** Requests seen, for assertions: "METHOD path". */
  readonly log: string[] = [];

  constructor(opts: MockOptions = {}) {
    this.opts = {
      port: opts.port ?? 0,
      webDir: opts.webDir ?? path.resolve(__dirname, '../../../web/dist'),
      adminEmail: opts.adminEmail ?? 'admin@example.com',
      adminPassword: opts.adminPassword ?? 'password123',
      setupRequired: opts.setupRequired ?? false,
      ollama: opts.ollama ?? 'up',
      maxUploadBytes: opts.maxUploadBytes ?? 100 * 1024 * 1024,
      stepMs: opts.stepMs ?? 250,
      deltaMs: opts.deltaMs ?? 40,
    };
    if (!this.opts.setupRequired) this.addUser(this.opts.adminEmail, this.opts.adminPassword, 'admin');
  }

  addUser(email: string, password: string, role: 'admin' | 'member'): MockUser {
    const u = { id: randomUUID(), email, password, role, createdAt: new Date().toISOString() };
    this.users.push(u);
    return u;
  }

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((e) => {
        if (!res.headersSent) this.json(res, 500, { statusCode: 500, error: 'INTERNAL', message: String(e) });
        else res.end();
      });
    });
    await new Promise<void>((r) => this.server!.listen(this.opts.port, '127.0.0.1', r));
    const addr = this.server.address() as { port: number };
    return `http://127.0.0.1:${addr.port}`;
  }

  async stop(): Promise<void> {
    for (const set of this.subscribers.values()) for (const res of set) res.end();
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  setOllama(state: 'up' | 'down' | 'missing-models'): void {
    this.opts.ollama = state;
  }

  // ─── plumbing ─────────────────────────────────────────────────────────────
  private json(res: http.ServerResponse, status: number, body: unknown): void {
    const text = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(text);
  }
  private fail(res: http.ServerResponse, status: number, error: string, message: string): void {
    this.json(res, status, { statusCode: status, error, message });
  }
  private async body(req: http.IncomingMessage): Promise<Buffer> {
    const parts: Buffer[] = [];
    for await (const c of req) parts.push(c as Buffer);
    return Buffer.concat(parts);
  }
  private async jsonBody(req: http.IncomingMessage): Promise<Obj> {
    const b = await this.body(req);
    return b.length ? (JSON.parse(b.toString('utf8')) as Obj) : {};
  }
  private userOf(req: http.IncomingMessage): MockUser | undefined {
    const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    const id = m ? this.tokens.get(m[1]) : undefined;
    return this.users.find((u) => u.id === id);
  }
  private login(u: MockUser): Obj {
    const token = randomBytes(24).toString('base64url');
    this.tokens.set(token, u.id);
    return { accessToken: token, expiresIn: 86400, user: { id: u.id, email: u.email, role: u.role } };
  }
  private sse(res: http.ServerResponse): void {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
    res.flushHeaders();
  }
  private send(res: http.ServerResponse, event: string, data: unknown): void {
    res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }
  private publicDoc(d: MockDoc): Obj {
    const { bytes: _bytes, ...rest } = d;
    void _bytes;
    return rest;
  }
  private kbView(kb: Obj): Obj {
    const docs = this.docs.filter((d) => d.knowledgeBaseId === kb.id);
    return { ...kb, documentCount: docs.length, chunkCount: docs.reduce((n, d) => n + d.chunkCount, 0) };
  }
  private eventData(doc: MockDoc): Obj {
    return {
      id: doc.id,
      knowledgeBaseId: doc.knowledgeBaseId,
      filename: doc.filename,
      status: doc.status,
      progress: doc.progress,
      statusDetail: doc.statusDetail,
      pageCount: doc.pageCount,
      chunkCount: doc.chunkCount,
      error: doc.error,
    };
  }
  /** As the real stream: `document.updated` / `document.deleted` with {type, knowledgeBaseId, document, at}. */
  private emit(kbId: string, doc: MockDoc, type = 'document.updated'): void {
    const body = {
      type,
      knowledgeBaseId: kbId,
      document: type === 'document.deleted' ? { id: doc.id, knowledgeBaseId: kbId } : this.eventData(doc),
      at: new Date().toISOString(),
    };
    for (const res of this.subscribers.get(kbId) ?? []) this.send(res, type, body);
  }

  // ─── pipeline simulation ──────────────────────────────────────────────────
  private process(doc: MockDoc): void {
    const steps: [Status, number][] = [
      ['parsing', 5],
      ['parsing', 20],
      ['chunking', 35],
      ['chunking', 45],
      ['embedding', 55],
      ['embedding', 65],
      ['embedding', 75],
      ['embedding', 85],
      ['embedding', 95],
    ];
    let i = 0;
    const tick = () => {
      if (!this.docs.includes(doc)) return;
      if (doc.bytes.length === 0) {
        Object.assign(doc, {
          status: 'failed',
          progress: 0,
          error: { code: 'EMPTY_FILE', message: 'The file is empty' },
        });
        this.emit(doc.knowledgeBaseId, doc);
        return;
      }
      if (doc.filename.toLowerCase().includes('scanned')) {
        Object.assign(doc, {
          status: 'failed',
          error: { code: 'NO_TEXT_LAYER', message: 'this PDF has no extractable text; it looks scanned' },
        });
        this.emit(doc.knowledgeBaseId, doc);
        return;
      }
      if (i < steps.length) {
        [doc.status, doc.progress] = steps[i++];
        doc.statusDetail = this.opts.ollama === 'down' && doc.status === 'embedding' ? 'waiting for Ollama' : null;
        if (doc.status === 'chunking') doc.pageCount = Math.max(1, Math.round(doc.sizeBytes / 4000));
        doc.updatedAt = new Date().toISOString();
        this.emit(doc.knowledgeBaseId, doc);
        setTimeout(tick, this.opts.stepMs);
        return;
      }
      this.makeChunks(doc);
      Object.assign(doc, { status: 'ready', progress: 100, statusDetail: null, updatedAt: new Date().toISOString() });
      this.emit(doc.knowledgeBaseId, doc);
    };
    setTimeout(tick, this.opts.stepMs);
  }

  private makeChunks(doc: MockDoc): void {
    const zh = /zh|中文|chinese/i.test(doc.filename);
    const texts = zh ? ZH_TEXT : EN_TEXT;
    this.chunks = this.chunks.filter((c) => c.documentId !== doc.id);
    const n = 6;
    for (let i = 0; i < n; i++) {
      const page = 1 + Math.floor((i * (doc.pageCount ?? 1)) / n);
      this.chunks.push({
        id: randomUUID(),
        documentId: doc.id,
        knowledgeBaseId: doc.knowledgeBaseId,
        ordinal: i + 1,
        title: zh ? `第 ${Math.floor(i / 2) + 1} 章` : `Chapter ${Math.floor(i / 2) + 1}`,
        content: texts[i % texts.length],
        pageFrom: page,
        pageTo: i % 3 === 2 ? page + 1 : page,
        enabled: true,
      });
    }
    doc.chunkCount = n;
  }

  private search(kbId: string, query: string, topK: number, mode: string): Obj[] {
    const terms = [
      ...(query.toLowerCase().match(/[a-z0-9.]{2,}/g) ?? []),
      ...[...query.matchAll(/[\u4e00-\u9fff]+/g)].flatMap((m) =>
        m[0].length < 2 ? [m[0]] : Array.from({ length: m[0].length - 1 }, (_, i) => m[0].slice(i, i + 2)),
      ),
    ];
    const ready = new Set(this.docs.filter((d) => d.knowledgeBaseId === kbId && d.status === 'ready').map((d) => d.id));
    const scored = this.chunks
      .filter((c) => ready.has(c.documentId) && c.enabled)
      .map((c) => {
        const text = c.content.toLowerCase();
        const hits = terms.filter((t) => text.includes(t)).length;
        const keyword = terms.length ? hits / terms.length : 0;
        const vector = 0.35 + 0.5 * keyword + (CJK.test(query) === CJK.test(c.content) ? 0.1 : 0);
        const score =
          mode === 'keyword'
            ? keyword
            : mode === 'vector'
              ? vector
              : 1 / (60 + 1 / (keyword + 0.01)) + 1 / (60 + 1 / vector);
        return { c, keyword, vector, score };
      })
      .filter((r) => (mode === 'keyword' ? r.keyword > 0 : true))
      .sort((a, b) => b.score - a.score)
      .slice(0, topK);
    return scored.map(({ c, keyword, vector, score }) => ({
      chunkId: c.id,
      documentId: c.documentId,
      documentName: this.docs.find((d) => d.id === c.documentId)?.filename,
      title: c.title,
      content: c.content,
      pageFrom: c.pageFrom,
      pageTo: c.pageTo,
      score,
      vectorScore: mode === 'keyword' ? null : vector,
      keywordScore: mode === 'vector' ? null : keyword,
    }));
  }

  private healthBody(): { status: number; body: Obj } {
    const ollamaUp = this.opts.ollama !== 'down';
    const present = new Set(this.models.map((m) => m.name));
    const missing = this.opts.ollama === 'missing-models' ? ['qwen2.5:7b'] : [];
    // The real service's shape (src/health/health.service.ts): `down` both when unreachable and when a
    // configured model is missing (then with a version); `message` says how to fix it.
    const ollama: Obj = ollamaUp
      ? {
          status: missing.length ? 'down' : 'up',
          url: 'http://127.0.0.1:11434',
          version: '0.12.7',
          models: {
            embedding: { name: 'bge-m3', present: present.has('bge-m3:latest') },
            chat: { name: 'qwen2.5:7b', present: !missing.length },
          },
          ...(missing.length
            ? { message: 'Ollama is reachable but these models are missing: qwen2.5:7b. Run: ollama pull qwen2.5:7b' }
            : {}),
        }
      : {
          status: 'down',
          url: 'http://127.0.0.1:11434',
          message:
            'Cannot reach Ollama at http://127.0.0.1:11434 (ECONNREFUSED). Start it with OLLAMA_HOST=0.0.0.0 so it listens on every interface; from a container use http://172.17.0.1:11434 or http://host.docker.internal:11434.',
          models: { embedding: { name: 'bge-m3', present: false }, chat: { name: 'qwen2.5:7b', present: false } },
        };
    const details = { database: { status: 'up' }, redis: { status: 'up' }, ollama };
    const ok = ollamaUp && !missing.length;
    return {
      status: ok ? 200 : 503,
      body: {
        status: ok ? 'ok' : 'error',
        info: ok ? details : { database: details.database, redis: details.redis },
        error: ok ? {} : { ollama },
        details,
      },
    };
  }

  // ─── routes ───────────────────────────────────────────────────────────────
  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const p = url.pathname;
    const method = req.method ?? 'GET';
    if (p.startsWith('/api/') || p.startsWith('/v1/') || p === '/health') this.log.push(`${method} ${p}`);

    if (p === '/health') {
      const h = this.healthBody();
      return this.json(res, h.status, h.body);
    }
    if (p === '/api/setup') {
      if (method === 'GET') return this.json(res, 200, { required: this.users.length === 0 });
      if (method === 'POST') {
        if (this.users.length) return this.fail(res, 409, 'SETUP_DONE', 'Setup is already done');
        const b = await this.jsonBody(req);
        if (String(b.password ?? '').length < 8)
          return this.fail(res, 400, 'VALIDATION_FAILED', 'password must be at least 8 characters');
        return this.json(res, 201, this.login(this.addUser(String(b.email), String(b.password), 'admin')));
      }
    }
    if (p === '/api/auth/login' && method === 'POST') {
      const b = await this.jsonBody(req);
      const u = this.users.find((x) => x.email === b.email && x.password === b.password);
      if (!u) return this.fail(res, 401, 'INVALID_CREDENTIALS', 'Wrong email or password');
      return this.json(res, 200, this.login(u));
    }
    if (!p.startsWith('/api/') && !p.startsWith('/v1/')) return this.serveStatic(p, res);
    if (!this.users.length) return this.fail(res, 403, 'SETUP_REQUIRED', 'Create the administrator first');

    const user = this.userOf(req);
    if (!user) return this.fail(res, 401, 'UNAUTHORIZED', 'Sign in first');
    let m: RegExpExecArray | null;

    if (p === '/api/auth/me') return this.json(res, 200, { id: user.id, email: user.email, role: user.role });
    if (p === '/api/auth/password' && method === 'POST') {
      const b = await this.jsonBody(req);
      if (b.currentPassword !== user.password)
        return this.fail(res, 400, 'WRONG_PASSWORD', 'The current password is wrong');
      user.password = String(b.newPassword);
      for (const [tok, id] of this.tokens) if (id === user.id) this.tokens.delete(tok);
      return this.json(res, 200, this.login(user));
    }

    // models
    if (p === '/api/models' && method === 'GET') {
      if (this.opts.ollama === 'down')
        return this.fail(res, 503, 'OLLAMA_UNAVAILABLE', 'Ollama is not reachable at http://127.0.0.1:11434');
      return this.json(res, 200, { models: this.models });
    }
    if (p === '/api/models/pull' && method === 'POST') {
      if (user.role !== 'admin') return this.fail(res, 403, 'FORBIDDEN', 'Only administrators can pull models');
      const b = await this.jsonBody(req);
      const name = String(b.name ?? '');
      this.sse(res);
      const total = 1_000_000;
      this.send(res, 'progress', { status: 'pulling manifest' });
      for (let done = 0; done <= total; done += 250_000) {
        await new Promise((r) => setTimeout(r, 120));
        this.send(res, 'progress', { status: 'pulling 5b2bb1e8bd5a', digest: 'sha256:5b2b', total, completed: done });
      }
      if (name.includes('nope')) {
        this.send(res, 'error', { code: 'MODEL_NOT_FOUND', message: 'pull model manifest: file does not exist' });
        return void res.end();
      }
      this.send(res, 'progress', { status: 'verifying sha256 digest' });
      if (!this.models.some((x) => x.name === name)) {
        this.models.push({
          name,
          size: total,
          modified_at: new Date().toISOString(),
          details: { family: 'llama', parameter_size: '1B', quantization_level: 'Q4_0' },
          capabilities: ['completion'],
        });
      }
      this.send(res, 'done', { status: 'success' });
      return void res.end();
    }

    // conversations
    if ((m = /^\/api\/knowledge-bases\/([^/]+)\/conversations$/.exec(p)) && method === 'GET') {
      const kbId = m[1];
      const items = this.conversations
        .filter((c) => c.knowledgeBaseId === kbId)
        .map(({ messages: _m, ...rest }) => (void _m, rest))
        .reverse();
      return this.json(res, 200, { items, total: items.length });
    }
    // knowledge bases
    if (p === '/api/knowledge-bases') {
      if (method === 'GET')
        return this.json(
          res,
          200,
          this.kbs.map((k) => this.kbView(k)),
        );
      if (method === 'POST') {
        const b = await this.jsonBody(req);
        if (!String(b.name ?? '').trim()) return this.fail(res, 400, 'VALIDATION_FAILED', 'name should not be empty');
        const kb = {
          id: randomUUID(),
          slug:
            String(b.name)
              .toLowerCase()
              .replace(/[^a-z0-9]+/g, '-')
              .replace(/^-|-$/g, '') || `kb-${this.kbs.length + 1}`,
          name: b.name,
          description: b.description ?? '',
          embeddingModel: b.embeddingModel ?? 'bge-m3',
          embeddingDimension: 1024,
          chunkSize: b.chunkSize ?? 400,
          chunkOverlap: b.chunkOverlap ?? 60,
          settings: {},
          createdAt: new Date().toISOString(),
          updatedAt: new Date().toISOString(),
        };
        this.kbs.push(kb);
        return this.json(res, 201, this.kbView(kb));
      }
    }
    if ((m = /^\/api\/knowledge-bases\/([^/]+)(\/.*)?$/.exec(p))) {
      const kb = this.kbs.find((k) => k.id === m![1]);
      if (!kb) return this.fail(res, 404, 'NOT_FOUND', `knowledge base ${m[1]} was not found`);
      const sub = m[2] ?? '';
      if (sub === '') {
        if (method === 'GET') return this.json(res, 200, this.kbView(kb));
        if (method === 'PATCH') {
          const b = await this.jsonBody(req);
          const allowed = [
            'prompt',
            'chatModel',
            'searchMode',
            'topK',
            'minScore',
            'noHitMode',
            'noHitText',
            'historyTurns',
            'rewriteFollowUps',
            'numCtx',
            'temperature',
          ];
          const unknown = Object.keys((b.settings as Obj) ?? {}).filter((k) => !allowed.includes(k));
          if (unknown.length)
            return this.fail(res, 400, 'VALIDATION_FAILED', `property settings.${unknown[0]} should not exist`);
          const settings: Obj = { ...(kb.settings as Obj), ...((b.settings as Obj) ?? {}) };
          for (const k of Object.keys(settings)) if (settings[k] === null) delete settings[k];
          Object.assign(kb, b, { settings, updatedAt: new Date().toISOString() });
          return this.json(res, 200, this.kbView(kb));
        }
        if (method === 'DELETE') {
          this.kbs = this.kbs.filter((k) => k !== kb);
          this.docs = this.docs.filter((d) => d.knowledgeBaseId !== kb.id);
          return this.json(res, 204, undefined);
        }
      }
      if (sub === '/documents' && method === 'GET') {
        const q = (url.searchParams.get('q') ?? '').toLowerCase();
        const st = url.searchParams.get('status');
        const page = Number(url.searchParams.get('page') ?? 1);
        const size = Number(url.searchParams.get('pageSize') ?? 20);
        const all = this.docs
          .filter(
            (d) =>
              d.knowledgeBaseId === kb.id && (!q || d.filename.toLowerCase().includes(q)) && (!st || d.status === st),
          )
          .reverse();
        return this.json(res, 200, {
          items: all.slice((page - 1) * size, page * size).map((d) => this.publicDoc(d)),
          total: all.length,
        });
      }
      if (sub === '/documents' && method === 'POST') return this.upload(req, res, kb);
      if (sub === '/events' && method === 'GET') {
        this.sse(res);
        res.write('retry: 3000\n\n');
        const unfinished = this.docs.filter(
          (d) => d.knowledgeBaseId === kb.id && !['ready', 'failed'].includes(d.status),
        );
        this.send(res, 'snapshot', { knowledgeBaseId: kb.id, documents: unfinished.map((d) => this.eventData(d)) });
        const set = this.subscribers.get(kb.id as string) ?? new Set();
        set.add(res);
        this.subscribers.set(kb.id as string, set);
        const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
        req.on('close', () => {
          clearInterval(ping);
          set.delete(res);
        });
        return;
      }
      if (sub === '/search' && method === 'POST') {
        const b = await this.jsonBody(req);
        const q = String(b.query ?? '').trim();
        if (!q) return this.fail(res, 400, 'VALIDATION_FAILED', 'query should not be empty');
        const results = this.search(kb.id as string, q, Number(b.topK ?? 5), String(b.mode ?? 'hybrid')).filter(
          (r) => b.minScore === undefined || (r.score as number) >= Number(b.minScore),
        );
        return this.json(res, 200, { results, timings: { embedMs: 12, searchMs: 3 } });
      }
      if (sub === '/ask' && method === 'POST') return this.ask(req, res, kb);
    }

    // documents, chunks
    if ((m = /^\/api\/documents\/([^/]+)(\/[a-z]+)?$/.exec(p))) {
      const doc = this.docs.find((d) => d.id === m![1]);
      if (!doc) return this.fail(res, 404, 'NOT_FOUND', `document ${m[1]} was not found`);
      const sub = m[2] ?? '';
      if (sub === '' && method === 'GET') return this.json(res, 200, this.publicDoc(doc));
      if (sub === '' && method === 'DELETE') {
        this.docs = this.docs.filter((d) => d !== doc);
        this.chunks = this.chunks.filter((c) => c.documentId !== doc.id);
        this.emit(doc.knowledgeBaseId, doc, 'document.deleted');
        return this.json(res, 204, undefined);
      }
      if (sub === '/file') {
        res.writeHead(200, {
          'Content-Type': doc.mimeType,
          'Content-Disposition': `attachment; filename="file"; filename*=UTF-8''${encodeURIComponent(doc.filename)}`,
        });
        return void res.end(doc.bytes);
      }
      if (sub === '/chunks') {
        const page = Number(url.searchParams.get('page') ?? 1);
        const size = Number(url.searchParams.get('pageSize') ?? 20);
        const all = this.chunks.filter((c) => c.documentId === doc.id);
        return this.json(res, 200, { items: all.slice((page - 1) * size, page * size), total: all.length });
      }
      if (sub === '/reindex' && method === 'POST') {
        Object.assign(doc, { status: 'queued', progress: 0, error: null, chunkCount: 0 });
        this.emit(doc.knowledgeBaseId, doc);
        this.process(doc);
        return this.json(res, 202, this.publicDoc(doc));
      }
    }
    if ((m = /^\/api\/chunks\/([^/]+)$/.exec(p)) && method === 'PATCH') {
      const c = this.chunks.find((x) => x.id === m![1]);
      if (!c) return this.fail(res, 404, 'NOT_FOUND', 'chunk not found');
      const b = await this.jsonBody(req);
      if (typeof b.content === 'string') c.content = b.content;
      if (typeof b.enabled === 'boolean') c.enabled = b.enabled;
      return this.json(res, 200, c);
    }

    if ((m = /^\/api\/conversations\/([^/]+)$/.exec(p))) {
      const c = this.conversations.find((x) => x.id === m![1]);
      if (!c) return this.fail(res, 404, 'NOT_FOUND', 'conversation not found');
      if (method === 'DELETE') {
        this.conversations = this.conversations.filter((x) => x !== c);
        return this.json(res, 204, undefined);
      }
      return this.json(res, 200, c);
    }
    if ((m = /^\/api\/conversations\/([^/]+)\/messages\/([^/]+)\/trace$/.exec(p))) {
      const tr = this.traces.get(m[2]);
      if (!tr) return this.fail(res, 404, 'NOT_FOUND', 'trace not found');
      return this.json(res, 200, tr);
    }

    // API keys, users
    if (p === '/api/api-keys') {
      if (method === 'GET') return this.json(res, 200, { items: this.apiKeys, total: this.apiKeys.length });
      if (method === 'POST') {
        const b = await this.jsonBody(req);
        const secret = `zk_${randomBytes(32).toString('base64url')}`;
        const key = {
          id: randomUUID(),
          name: b.name,
          prefix: `${secret.slice(0, 10)}…`,
          knowledgeBaseIds: b.knowledgeBaseIds,
          scopes: b.scopes,
          expiresAt: b.expiresAt ?? null,
          lastUsedAt: null,
          createdAt: new Date().toISOString(),
        };
        this.apiKeys.push(key);
        return this.json(res, 201, { ...key, secret });
      }
    }
    if ((m = /^\/api\/api-keys\/([^/]+)$/.exec(p)) && method === 'DELETE') {
      this.apiKeys = this.apiKeys.filter((k) => k.id !== m![1]);
      return this.json(res, 204, undefined);
    }
    if (p.startsWith('/api/users')) {
      if (user.role !== 'admin') return this.fail(res, 403, 'FORBIDDEN', 'Administrators only');
      const view = (u: MockUser) => ({ id: u.id, email: u.email, role: u.role, createdAt: u.createdAt });
      if (p === '/api/users' && method === 'GET')
        return this.json(res, 200, { items: this.users.map(view), total: this.users.length });
      if (p === '/api/users' && method === 'POST') {
        const b = await this.jsonBody(req);
        if (this.users.some((u) => u.email === b.email)) return this.fail(res, 409, 'CONFLICT', 'That email is taken');
        return this.json(
          res,
          201,
          view(this.addUser(String(b.email), String(b.password), b.role as 'admin' | 'member')),
        );
      }
      if ((m = /^\/api\/users\/([^/]+)$/.exec(p))) {
        const u = this.users.find((x) => x.id === m![1]);
        if (!u) return this.fail(res, 404, 'NOT_FOUND', 'user not found');
        if (method === 'PATCH') {
          const b = await this.jsonBody(req);
          if (b.role) u.role = b.role as 'admin' | 'member';
          if (b.password) u.password = String(b.password);
          return this.json(res, 200, view(u));
        }
        if (method === 'DELETE') {
          this.users = this.users.filter((x) => x !== u);
          return this.json(res, 204, undefined);
        }
      }
    }
    return this.fail(res, 404, 'NOT_FOUND', `Cannot ${method} ${p}`);
  }

  private async upload(req: http.IncomingMessage, res: http.ServerResponse, kb: Obj): Promise<void> {
    const raw = await this.body(req);
    if (raw.length > this.opts.maxUploadBytes + 4096) {
      return this.fail(
        res,
        413,
        'PAYLOAD_TOO_LARGE',
        `The file is larger than MAX_UPLOAD_MB (${Math.round(this.opts.maxUploadBytes / 1048576)} MB)`,
      );
    }
    const form = await new Request('http://x/', {
      method: 'POST',
      headers: { 'content-type': String(req.headers['content-type']) },
      body: new Uint8Array(raw),
    }).formData();
    // undici's File (Node 20 types differ between lib and undici-types): read it through Blob's API.
    const files = form.getAll('files').filter((f) => typeof f !== 'string') as unknown as (Blob & { name: string })[];
    if (!files.length) return this.fail(res, 400, 'VALIDATION_FAILED', 'Send 1 to 50 files in the field "files"');
    const out: Obj[] = [];
    for (const f of files) {
      const bytes = Buffer.from(await f.arrayBuffer());
      if (bytes.length > this.opts.maxUploadBytes) {
        return this.fail(res, 413, 'PAYLOAD_TOO_LARGE', `${f.name} is larger than MAX_UPLOAD_MB`);
      }
      const isPdf = bytes.subarray(0, 5).toString('latin1') === '%PDF-';
      const ext = path.extname(f.name).toLowerCase();
      if ((ext === '.pdf' && !isPdf) || !['.pdf', '.txt', '.md', '.docx'].includes(ext)) {
        return this.fail(
          res,
          415,
          'UNSUPPORTED_TYPE',
          `${f.name}: only PDF, DOCX, Markdown and plain text are supported`,
        );
      }
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      const dup = this.docs.find((d) => d.knowledgeBaseId === kb.id && d.sha256 === sha256);
      if (dup) {
        out.push({ id: dup.id, filename: dup.filename, status: dup.status, duplicate: true });
        continue;
      }
      const now = new Date().toISOString();
      const doc: MockDoc = {
        id: randomUUID(),
        knowledgeBaseId: kb.id as string,
        filename: f.name,
        mimeType: isPdf ? 'application/pdf' : 'text/plain',
        sizeBytes: bytes.length,
        sha256,
        status: 'queued',
        progress: 0,
        statusDetail: null,
        pageCount: null,
        chunkCount: 0,
        error: null,
        createdAt: now,
        updatedAt: now,
        bytes,
      };
      this.docs.push(doc);
      this.emit(doc.knowledgeBaseId, doc);
      this.process(doc);
      out.push({ id: doc.id, filename: doc.filename, status: doc.status, duplicate: false });
    }
    return this.json(res, 202, { documents: out });
  }

  private async ask(req: http.IncomingMessage, res: http.ServerResponse, kb: Obj): Promise<void> {
    const b = await this.jsonBody(req);
    const question = String(b.question ?? '').trim();
    if (!question) return this.fail(res, 400, 'VALIDATION_FAILED', 'question should not be empty');
    if (this.opts.ollama === 'down') {
      return this.fail(
        res,
        503,
        'OLLAMA_UNAVAILABLE',
        'Ollama is not reachable at http://127.0.0.1:11434. Start it with OLLAMA_HOST=0.0.0.0.',
      );
    }
    const hits = this.search(kb.id as string, question, 3, 'hybrid');
    const citations = hits.map((h, i) => ({
      index: i + 1,
      chunkId: h.chunkId,
      documentId: h.documentId,
      documentName: h.documentName,
      pageFrom: h.pageFrom,
      pageTo: h.pageTo,
      snippet: String(h.content).slice(0, 240),
    }));
    let conv = this.conversations.find((c) => c.id === b.conversationId);
    if (!conv) {
      const now = new Date().toISOString();
      conv = {
        id: randomUUID(),
        knowledgeBaseId: kb.id as string,
        title: question.slice(0, 40),
        createdAt: now,
        updatedAt: now,
        messages: [],
      };
      this.conversations.push(conv);
    }
    const zh = CJK.test(question);
    const answer = !citations.length
      ? zh
        ? '抱歉，知识库中没有找到相关内容。'
        : 'Sorry, the knowledge base has nothing on that.'
      : zh
        ? `根据资料，**知识库**会把文档切分成段落并建立索引 [1]。检索同时使用向量和关键词${citations.length > 1 ? ' [2]' : ''}。\n\n- 保留页码，引用可跳转到原文\n- 中文先分词再建索引`
        : `According to the sources, **read.table** reads a file in table format into a data frame [1].${citations.length > 1 ? ' For CSV files use `read.csv` [2].' : ''}\n\n- cases are lines\n- variables are fields`;
    const cited = citations.filter((c) => answer.includes(`[${c.index}]`));
    const messageId = randomUUID();
    this.sse(res);
    let closed = false;
    res.on('close', () => (closed = true));
    this.send(res, 'sources', { citations, conversationId: conv.id, messageId });
    const pieces = answer.match(/[\s\S]{1,6}/g) ?? [];
    for (const piece of pieces) {
      if (closed) return;
      await new Promise((r) => setTimeout(r, this.opts.deltaMs));
      this.send(res, 'delta', { content: piece });
    }
    conv.messages.push(
      {
        id: randomUUID(),
        role: 'user',
        content: question,
        status: 'complete',
        citations: [],
        createdAt: new Date().toISOString(),
      },
      {
        id: messageId,
        role: 'assistant',
        content: answer,
        status: 'complete',
        citations: cited,
        createdAt: new Date().toISOString(),
      },
    );
    conv.updatedAt = new Date().toISOString();
    this.traces.set(messageId, {
      originalQuery: question,
      rewrittenQuery: question,
      vectorCandidates: hits.map((h) => ({ chunkId: String(h.chunkId).slice(0, 8), score: h.vectorScore })),
      keywordCandidates: hits.map((h) => ({ chunkId: String(h.chunkId).slice(0, 8), score: h.keywordScore })),
      fused: hits.map((h, i) => ({ rank: i + 1, chunkId: String(h.chunkId).slice(0, 8), score: h.score })),
      budget: { numCtx: 8192, sourcesFitted: hits.length, dropped: 0 },
      tokens: { prompt: 812, completion: pieces.length * 2 },
      timingsMs: { rewrite: 0, embed: 12, search: 3, firstToken: 40, total: 40 + pieces.length * this.opts.deltaMs },
    });
    this.send(res, 'done', {
      answer,
      citations: cited,
      conversationId: conv.id,
      messageId,
      usage: { promptTokens: 812, completionTokens: pieces.length * 2 },
      timings: { retrievalMs: 15, firstTokenMs: 40, totalMs: 40 + pieces.length * this.opts.deltaMs },
    });
    res.end();
  }

  private serveStatic(p: string, res: http.ServerResponse): void {
    const root = this.opts.webDir;
    let file = path.join(root, path.normalize(decodeURIComponent(p)).replace(/^(\.\.[/\\])+/, ''));
    if (!file.startsWith(root) || !existsSync(file) || statSync(file).isDirectory())
      file = path.join(root, 'index.html');
    if (!existsSync(file))
      return this.fail(res, 404, 'NOT_FOUND', 'web/dist is missing: run vite build --config web/vite.config.ts');
    const ext = path.extname(file);
    const types: Record<string, string> = {
      '.html': 'text/html; charset=utf-8',
      '.js': 'text/javascript; charset=utf-8',
      '.css': 'text/css; charset=utf-8',
      '.svg': 'image/svg+xml',
      '.json': 'application/json',
      '.woff2': 'font/woff2',
    };
    res.writeHead(200, {
      'Content-Type': types[ext] ?? 'application/octet-stream',
      'Cache-Control': ext === '.html' ? 'no-cache' : 'public, max-age=31536000, immutable',
    });
    createReadStream(file).pipe(res);
  }
}

if (require.main === module) {
  const api = new MockApi({ port: Number(process.env.PORT ?? 4300) });
  void api.start().then((url) => console.log(`mock zhiku API + UI on ${url} (admin@example.com / password123)`));
}
