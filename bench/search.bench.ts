/**
 * Search benchmark (npm run bench:search [-- --million] [-- --rebuild]).
 *
 * Builds a synthetic knowledge base of 100,000 chunks (1,000,000 with --million) of 1024-dimensional
 * embeddings, like bge-m3, in its own database (zhiku_bench / zhiku_bench_1m; kept between runs, rebuilt
 * with --rebuild), then prints:
 *   - hybrid search p50/p95 (the search SQL alone, without the query-embedding call), and each leg alone;
 *   - HNSW recall@10 of the vector leg against exact search;
 *   - ask overhead: request to first SSE `delta` through the real API, with the fake Ollama answering at once;
 *   - the MCP door: ask through /mcp (time to the tool result) against REST's JSON ask (bench/support/mcp-door.ts);
 *   - the same to the first token through each door (REST SSE, /ollama/api/chat), same asks, and the gap;
 *   - 64 concurrent streaming asks and how many failed.
 *
 * The data is clustered, not uniform: N/100 topics, each with a centre vector and its own words; a chunk is
 * its topic's centre plus noise, and its text mixes topic words with Zipf-distributed common words, so both
 * the HNSW graph and the GIN index see the skew of real documents. Chunks are written through the
 * ingestion's own ChunkRepository.insertChunks (segmentation, tsvector, halfvec), with the GIN index dropped
 * during the load and rebuilt after it; the knowledge base's HNSW index is then built by
 * ChunkRepository.ensureVectorIndex, as ingestion builds it.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import os from 'node:os';
import { Client } from 'pg';
import { DataSource } from 'typeorm';

process.env.LOG_LEVEL ??= 'warn';
const MILLION = process.argv.includes('--million');
const REBUILD = process.argv.includes('--rebuild');
const CHUNKS = MILLION ? 1_000_000 : 100_000;
const DIMS = 1024;
const CHUNKS_PER_TOPIC = 100;
const CHUNKS_PER_DOCUMENT = 500;
const PG_SERVER_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
const DATABASE_NAME = process.env.BENCH_DATABASE_NAME ?? (MILLION ? 'zhiku_bench_1m' : 'zhiku_bench');
process.env.DATABASE_URL = `${PG_SERVER_URL}/${DATABASE_NAME}`;
process.env.REDIS_URL ??= 'redis://127.0.0.1:6379';
const KB_SLUG = `bench-${CHUNKS}`;
const GIN_INDEX = 'chunks_search_vector_idx';
const SEARCH_QUERIES = 500;
const RECALL_QUERIES = 100;
const ASKS = 200;
const CONCURRENT_ASKS = 64;

// ------------------------------------------------------------------ deterministic synthetic data

/** mulberry32: a small seeded PRNG, so every run (and the query set) sees the same data. */
export function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function loadAverage(): string {
  return os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
}

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(random() || 1e-12)) * Math.cos(2 * Math.PI * random());
}

function normalize(v: Float32Array): number[] {
  let sum = 0;
  for (const x of v) sum += x * x;
  const inv = 1 / Math.sqrt(sum);
  return Array.from(v, (x) => x * inv);
}

const SYLLABLES =
  'ba be bi bo bu ka ke ki ko ku la le li lo lu ma me mi mo mu na ne ni no nu ra re ri ro ru sa se si so su ta te ti to tu va ve vi vo vu za ze zi zo zu'.split(
    ' ',
  );
const STOP_WORDS = 'the of and to in is it that for on with as by this are be from at or an can which when'.split(' ');

export class Corpus {
  readonly topics: number;
  private readonly vocabulary: string[];
  private readonly centres: Float32Array[] = [];
  private readonly topicWords: string[][] = [];
  /** Cumulative Zipf weights over the vocabulary. */
  private readonly zipf: Float64Array;

  constructor(chunks: number) {
    const random = prng(42);
    this.topics = Math.max(1, Math.round(chunks / CHUNKS_PER_TOPIC));
    const words = new Set<string>();
    while (words.size < 20_000) {
      const n = 2 + Math.floor(random() * 3);
      let w = '';
      for (let i = 0; i < n; i++) w += SYLLABLES[Math.floor(random() * SYLLABLES.length)];
      words.add(w);
    }
    this.vocabulary = [...words];
    this.zipf = new Float64Array(this.vocabulary.length);
    let total = 0;
    for (let i = 0; i < this.vocabulary.length; i++) this.zipf[i] = total += 1 / (i + 1);
    for (let i = 0; i < this.zipf.length; i++) this.zipf[i] /= total;
    for (let t = 0; t < this.topics; t++) {
      const centre = new Float32Array(DIMS);
      for (let d = 0; d < DIMS; d++) centre[d] = gaussian(random);
      this.centres.push(Float32Array.from(normalize(centre)));
      // Topic words come from the rarer part of the vocabulary.
      this.topicWords.push(Array.from({ length: 12 }, () => this.vocabulary[1000 + Math.floor(random() * 19_000)]));
    }
  }

  topicOf(chunk: number): number {
    return chunk % this.topics;
  }

  /** The topic's centre plus Gaussian noise (cosine to the centre ≈ 0.85), unit length. */
  vector(topic: number, random: () => number, noise = 0.02): number[] {
    const v = new Float32Array(DIMS);
    const centre = this.centres[topic];
    for (let d = 0; d < DIMS; d++) v[d] = centre[d] + noise * gaussian(random);
    return normalize(v);
  }

  private commonWord(random: () => number): string {
    const r = random();
    let lo = 0;
    let hi = this.zipf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.zipf[mid] < r) lo = mid + 1;
      else hi = mid;
    }
    return this.vocabulary[lo];
  }

  /** ~60 words, ~400 characters: a third topic words, the rest common words and stop words. */
  text(topic: number, random: () => number, words = 60): string {
    const out: string[] = [];
    for (let i = 0; i < words; i++) {
      const r = random();
      if (r < 0.33) out.push(this.topicWords[topic][Math.floor(random() * 12)]);
      else if (r < 0.55) out.push(STOP_WORDS[Math.floor(random() * STOP_WORDS.length)]);
      else out.push(this.commonWord(random));
    }
    return out.join(' ') + '.';
  }

  /** A question about a topic: three of its words, two common words, some stop words. */
  query(topic: number, random: () => number): { text: string; vector: number[] } {
    const words = this.topicWords[topic];
    const text = `how can the ${words[Math.floor(random() * 12)]} ${words[Math.floor(random() * 12)]} ${this.commonWord(random)} of ${words[Math.floor(random() * 12)]} ${this.commonWord(random)}`;
    return { text, vector: this.vector(topic, random, 0.03) };
  }
}

// ------------------------------------------------------------------ helpers

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const fmt = (ms: number): string => `${ms.toFixed(1)} ms`;
const fmtSigned = (ms: number): string => `${ms >= 0 ? '+' : '−'}${Math.abs(ms).toFixed(1)} ms`;

function mark(ok: boolean): string {
  return ok ? 'ok' : 'MISSED';
}

async function ensureDatabase(): Promise<void> {
  const admin = new Client({ connectionString: `${PG_SERVER_URL}/postgres` });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE_NAME]);
    if (!rowCount) await admin.query(`CREATE DATABASE ${DATABASE_NAME}`);
  } finally {
    await admin.end();
  }
  const { preparePostgres } = await import('../src/database/migrate');
  await preparePostgres(process.env.DATABASE_URL as string, { migrate: true });
}

async function buildKnowledgeBase(db: DataSource, corpus: Corpus): Promise<string> {
  const { ChunkRepository } = await import('../src/documents/chunk.repository');
  const { Chunk } = await import('../src/documents/chunk.entity');
  const chunks = new ChunkRepository(db, db.getRepository(Chunk));
  await db.query('DELETE FROM knowledge_bases WHERE slug = $1', [KB_SLUG]);
  // Loading into a live GIN index is slow: drop it, load, then rebuild it as the migration defines it.
  await db.query(`DROP INDEX IF EXISTS ${GIN_INDEX}`);

  const [kb] = await db.query(
    `INSERT INTO knowledge_bases (slug, name, embedding_model, embedding_dimension) VALUES ($1, $2, 'bge-m3', $3) RETURNING id`,
    [KB_SLUG, `Benchmark ${CHUNKS}`, DIMS],
  );
  const random = prng(7);
  const started = Date.now();
  for (let first = 0; first < CHUNKS; first += CHUNKS_PER_DOCUMENT) {
    const [doc] = await db.query(
      `INSERT INTO documents (knowledge_base_id, filename, mime_type, size_bytes, sha256, storage_key, status, progress, chunk_count, live_run)
       VALUES ($1, $2, 'application/pdf', 1, $3, $4, 'ready', 100, $5, 1) RETURNING id`,
      [
        kb.id,
        `manual-${first / CHUNKS_PER_DOCUMENT}.pdf`,
        randomBytes(32).toString('hex'),
        `${randomUUID()}.pdf`,
        CHUNKS_PER_DOCUMENT,
      ],
    );
    const batch = [];
    for (let i = first; i < Math.min(CHUNKS, first + CHUNKS_PER_DOCUMENT); i++) {
      const topic = corpus.topicOf(i);
      batch.push({
        ordinal: i - first,
        title: `Section ${topic}`,
        content: corpus.text(topic, random),
        pageFrom: 1 + Math.floor((i - first) / 4),
        pageTo: 1 + Math.floor((i - first) / 4),
        tokenCount: 100,
        embedding: corpus.vector(topic, random),
      });
    }
    await chunks.insertChunks(doc.id, 1, kb.id, DIMS, batch);
    const done = Math.min(CHUNKS, first + CHUNKS_PER_DOCUMENT);
    if (done % (CHUNKS / 10) === 0) {
      console.log(
        `  loaded ${done.toLocaleString()} chunks (${Math.round(done / ((Date.now() - started) / 1000))} chunks/s)`,
      );
    }
  }
  const indexStarted = Date.now();
  await db.transaction(async (tx) => {
    await tx.query(`SET LOCAL maintenance_work_mem = '${MILLION ? '6GB' : '2GB'}'`);
    await tx.query('SET LOCAL max_parallel_maintenance_workers = 2');
    await tx.query(`CREATE INDEX ${GIN_INDEX} ON chunks USING gin (search_vector)`);
  });
  await chunks.ensureVectorIndex(kb.id, DIMS, { minChunks: 1, buildMemoryMb: MILLION ? 6144 : 2048 });
  await db.query('ANALYZE chunks');
  await db.query('ANALYZE documents');
  console.log(`  built the HNSW and GIN indexes in ${((Date.now() - indexStarted) / 1000).toFixed(0)} s`);
  return kb.id;
}

// ------------------------------------------------------------------ main

async function main(): Promise<void> {
  console.log(`bench:search — ${CHUNKS.toLocaleString()} chunks × ${DIMS} dimensions, database ${DATABASE_NAME}`);
  await ensureDatabase();
  const { buildDataSourceOptions } = await import('../src/database/database-options');
  const { ChunkSearchRepository } = await import('../src/retrieval/chunk-search.repository');
  const { segmentForKeywords } = await import('../src/common/text/keyword-segmenter');
  const { keywordCandidateClauses } = await import('../src/retrieval/keyword-terms');
  const db = await new DataSource(buildDataSourceOptions(process.env.DATABASE_URL as string)).initialize();
  const corpus = new Corpus(CHUNKS);

  let [kb]: { id: string; chunks: number }[] = await db.query(
    `SELECT kb.id, (SELECT count(*)::int FROM chunks c WHERE c.knowledge_base_id = kb.id) AS chunks
       FROM knowledge_bases kb WHERE kb.slug = $1`,
    [KB_SLUG],
  );
  const { vectorIndexName } = await import('../src/documents/chunk.repository');
  const [{ indexed }] = await db.query(`SELECT count(*)::int AS indexed FROM pg_indexes WHERE indexname IN ($1, $2)`, [
    kb ? vectorIndexName(kb.id) : '',
    GIN_INDEX,
  ]);
  if (REBUILD || !kb || kb.chunks !== CHUNKS || indexed !== 2) {
    console.log('Building the synthetic knowledge base (once; --rebuild to redo):');
    kb = { id: await buildKnowledgeBase(db, corpus), chunks: CHUNKS };
  } else {
    console.log('Reusing the synthetic knowledge base from an earlier run.');
  }

  // A running server has its indexes in memory; after a restart they are read from disk. Load them once
  // (pg_prewarm ships with PostgreSQL) so the figures describe the running state.
  const [{ shared_buffers: sharedBuffers }] = await db.query('SHOW shared_buffers');
  const relations: Array<{ name: string; label: string; mb: number }> = await db.query(
    `SELECT oid::regclass::text AS name, CASE WHEN relname = $1 THEN 'HNSW index' WHEN relname = $2 THEN 'GIN index'
              WHEN relname = 'chunks' THEN 'chunks' ELSE 'their TOAST (embeddings)' END AS label,
            round(pg_relation_size(oid) / 1048576.0)::int AS mb
       FROM pg_class
      WHERE relname IN ($1, $2, 'chunks') OR oid = (SELECT reltoastrelid FROM pg_class WHERE relname = 'chunks')`,
    [vectorIndexName(kb.id), GIN_INDEX],
  );
  await db.query('CREATE EXTENSION IF NOT EXISTS pg_prewarm');
  for (const { name } of relations) await db.query(`SELECT pg_prewarm($1::regclass)`, [name]);
  console.log(`shared_buffers ${sharedBuffers}; prewarmed ${relations.map((r) => `${r.label} ${r.mb} MB`).join(', ')}`);

  const repo = new ChunkSearchRepository(db);
  const random = prng(99);
  const queries = Array.from({ length: SEARCH_QUERIES + 50 }, () =>
    corpus.query(Math.floor(random() * corpus.topics), random),
  );
  // As RetrievalService does: the commonest lexemes rank but do not select candidates.
  const searchQuery = async (
    q: { text: string; vector: number[] },
    mode: 'hybrid' | 'vector' | 'keyword',
    candidates = 40,
    keywordRanking: 'bm25' | 'ts_rank_cd' = 'bm25',
  ) => {
    const keywords = await repo.analyzeKeywordQuery(kb.id, q.text, segmentForKeywords(q.text).split(' '));
    return {
      knowledgeBaseId: kb.id,
      mode,
      dimension: DIMS,
      embedding: q.vector,
      keywords,
      candidateClauses: keywordCandidateClauses(keywords),
      candidates,
      keywordRanking,
    };
  };

  const plan = await repo.explain(await searchQuery(queries[0], 'hybrid'));
  const usesHnsw = /Index Scan using chunks_hnsw_kb_/.test(plan);
  const usesGin = /Bitmap Index Scan on chunks_search_vector_idx/.test(plan);
  console.log(
    `\nPlan of a hybrid search: HNSW index ${usesHnsw ? 'used' : 'NOT used'}, GIN index ${usesGin ? 'used' : 'NOT used'}`,
  );

  // Each search as RetrievalService makes it: the query's lexeme statistics (one round-trip), then the
  // search statement. "keyword_old" is the ts_rank_cd ranking of earlier versions, for comparison.
  const latencies: Record<string, number[]> = { hybrid: [], vector: [], keyword: [], keyword_old: [], hybrid_old: [] };
  const loadBefore = loadAverage();
  for (const mode of ['hybrid', 'vector', 'keyword', 'keyword_old', 'hybrid_old'] as const) {
    for (let i = 0; i < queries.length; i++) {
      const started = performance.now();
      if (mode === 'keyword_old') await repo.search(await searchQuery(queries[i], 'keyword', 40, 'ts_rank_cd'));
      else if (mode === 'hybrid_old') await repo.search(await searchQuery(queries[i], 'hybrid', 40, 'ts_rank_cd'));
      else await repo.search(await searchQuery(queries[i], mode));
      if (i >= 50) latencies[mode].push(performance.now() - started);
    }
  }
  const loadDuring = loadAverage();
  // Recall@10 of the keyword leg is unchanged by BM25 only if both rankings agree on what matches: the
  // share of the old top 10 that BM25 also returns in its top 10 (not a quality figure; bench:quality is).
  let overlapSum = 0;
  for (let i = 0; i < RECALL_QUERIES; i++) {
    const bm25 = (await repo.search(await searchQuery(queries[i], 'keyword'))).slice(0, 10).map((c) => c.chunkId);
    const old = await repo.search(await searchQuery(queries[i], 'keyword', 40, 'ts_rank_cd'));
    const oldTop = new Set(old.slice(0, 10).map((c) => c.chunkId));
    overlapSum += oldTop.size ? bm25.filter((id) => oldTop.has(id)).length / oldTop.size : 1;
  }
  const keywordOverlap = overlapSum / RECALL_QUERIES;

  // Exact top 10 of each recall query, once; then the HNSW leg's recall at the ef_search zhiku picks for this
  // size and at others, with the vector leg's latency at each: the figures efSearchFor is chosen by.
  const truths: Set<string>[] = [];
  for (let i = 0; i < RECALL_QUERIES; i++) {
    const exact: { id: string }[] = await db.transaction(async (tx) => {
      await tx.query('SET LOCAL enable_indexscan = off');
      await tx.query('SET LOCAL enable_bitmapscan = off');
      return tx.query(
        `SELECT id FROM chunks WHERE knowledge_base_id = $1 AND embedding_dims = ${DIMS}
          ORDER BY (embedding::halfvec(${DIMS})) <=> $2::halfvec(${DIMS}) LIMIT 10`,
        [kb.id, `[${queries[i].vector.join(',')}]`],
      );
    });
    truths.push(new Set(exact.map((r) => r.id)));
  }
  const recallAt = async (efSearch?: number): Promise<{ recall: number; p95: number }> => {
    let sum = 0;
    const times: number[] = [];
    for (let i = 0; i < RECALL_QUERIES; i++) {
      const query = { ...(await searchQuery(queries[i], 'vector')), efSearch };
      const started = performance.now();
      const approx = (await repo.search(query)).slice(0, 10).map((c) => c.chunkId);
      times.push(performance.now() - started);
      sum += approx.filter((id) => truths[i].has(id)).length / 10;
    }
    return { recall: sum / RECALL_QUERIES, p95: percentile(times, 95) };
  };
  const recall = (await recallAt()).recall;
  const defaultWidth = await repo.vectorSearchWidth(kb.id);
  const efSweep: string[] = [];
  for (const ef of [100, 200, 400, 600, 800]) {
    const at = await recallAt(ef);
    efSweep.push(`ef_search ${ef}: ${at.recall.toFixed(3)} (vector leg p95 ${at.p95.toFixed(1)} ms)`);
  }
  await db.destroy();

  // ---- ask overhead through the real API, with the fake Ollama answering instantly
  const { startTestApp } = await import('../test/support/test-app');
  const { loginAsAdmin, TEST_ADMIN } = await import('../test/support/auth-helpers');
  const { openEventStream } = await import('../test/support/retrieval-fixtures');
  const app = await startTestApp({
    role: 'api',
    // The door comparison asks hundreds of times with one API key.
    env: { ADMIN_EMAIL: TEST_ADMIN.email, ADMIN_PASSWORD: TEST_ADMIN.password, API_KEY_ASK_LIMIT_PER_MIN: '100000' },
  });
  const { headers } = await loginAsAdmin(app);
  const askUrl = `${app.url}/api/knowledge-bases/${kb.id}/ask`;
  const askOnce = async (question: string): Promise<{ firstDeltaMs: number; ok: boolean }> => {
    const started = performance.now();
    let firstDeltaMs = NaN;
    let ok = false;
    try {
      const stream = await openEventStream(askUrl, { question, stream: true }, headers);
      if (stream.status !== 200) return { firstDeltaMs, ok };
      for await (const event of stream.events) {
        if (event.event === 'delta' && Number.isNaN(firstDeltaMs)) firstDeltaMs = performance.now() - started;
        if (event.event === 'done') ok = true;
        if (event.event === 'error') ok = false;
      }
    } catch {
      ok = false;
    }
    return { firstDeltaMs, ok };
  };
  const askQuestions = Array.from(
    { length: ASKS + 20 },
    () => corpus.query(Math.floor(random() * corpus.topics), random).text,
  );
  const overhead: number[] = [];
  for (let i = 0; i < askQuestions.length; i++) {
    const { firstDeltaMs } = await askOnce(askQuestions[i]);
    if (i >= 20) overhead.push(firstDeltaMs);
  }
  // The same asks through REST SSE and /ollama/api/chat, with one API key (as clients of both doors use).
  const { createApiKey } = await import('../test/support/auth-helpers');
  const { compareFirstToken, ollamaFirstTokenProbe, restFirstTokenProbe } =
    await import('./support/first-token-probes');
  const key = await createApiKey(app, (await loginAsAdmin(app)).token, { knowledgeBaseIds: [kb.id], scopes: ['ask'] });
  const keyAuth = `Bearer ${key.secret}`;
  const { doors, rounds } = await compareFirstToken(
    {
      rest: restFirstTokenProbe(app.url, keyAuth, kb.id),
      ollama: ollamaFirstTokenProbe(app.url, keyAuth, `${KB_SLUG}:latest`),
    },
    askQuestions,
    20,
  );
  const burstStarted = performance.now();
  const burst = await Promise.all(askQuestions.slice(0, CONCURRENT_ASKS).map((q) => askOnce(q)));
  const burstMs = performance.now() - burstStarted;
  const burstErrors = burst.filter((r) => !r.ok).length;
  const burstFirst = burst.filter((r) => r.ok).map((r) => r.firstDeltaMs);
  const { measureMcpDoor, describeDoorFigures } = await import('./support/mcp-door');
  const mcpDoor = await measureMcpDoor({ url: app.url, knowledgeBaseId: kb.id, headers, questions: askQuestions });
  await app.close();

  // ---- report
  const p95Target = MILLION ? 35 : 15;
  const keywordTarget = MILLION ? 20 : 10;
  const hybridP95 = percentile(latencies.hybrid, 95);
  console.log(
    `\nResults (${CHUNKS.toLocaleString()} chunks, ${corpus.topics.toLocaleString()} topics, ${SEARCH_QUERIES} queries per mode):`,
  );
  console.log(
    `  hybrid search    p50 ${fmt(percentile(latencies.hybrid, 50))}  p95 ${fmt(hybridP95)}   target p95 ≤ ${p95Target} ms: ${mark(hybridP95 <= p95Target)}`,
  );
  console.log(
    `  hybrid, old      p50 ${fmt(percentile(latencies.hybrid_old, 50))}  p95 ${fmt(percentile(latencies.hybrid_old, 95))}   (over ts_rank_cd, for comparison)`,
  );
  console.log(
    `  vector leg only  p50 ${fmt(percentile(latencies.vector, 50))}  p95 ${fmt(percentile(latencies.vector, 95))}`,
  );
  const keywordP95 = percentile(latencies.keyword, 95);
  console.log(
    `  keyword leg only p50 ${fmt(percentile(latencies.keyword, 50))}  p95 ${fmt(keywordP95)}   (BM25) target p95 ≤ ${keywordTarget} ms: ${mark(keywordP95 <= keywordTarget)}`,
  );
  console.log(
    `  keyword, old     p50 ${fmt(percentile(latencies.keyword_old, 50))}  p95 ${fmt(percentile(latencies.keyword_old, 95))}   (ts_rank_cd, for comparison)`,
  );
  console.log(`  keyword top 10 shared by BM25 and ts_rank_cd: ${keywordOverlap.toFixed(3)}`);
  console.log(`  load average before / during the latency runs: ${loadBefore} / ${loadDuring} (2 cores)`);
  console.log(
    `  HNSW recall@10 vs exact search: ${recall.toFixed(3)} at ef_search ${defaultWidth}   target ≥ 0.95: ${mark(recall >= 0.95)}`,
  );
  console.log(`    ${efSweep.join('; ')}`);
  const overheadP95 = percentile(overhead, 95);
  console.log(
    `  ask overhead (request → first delta, ${ASKS} asks) p50 ${fmt(percentile(overhead, 50))}  p95 ${fmt(overheadP95)}   target p95 ≤ 50 ms: ${mark(overheadP95 <= 50)}`,
  );
  const doorP50 = (door: string) => percentile(doors[door].times, 50);
  const doorP95 = (door: string) => percentile(doors[door].times, 95);
  const p50Gap = doorP50('ollama') - doorP50('rest');
  const p95Gap = doorP95('ollama') - doorP95('rest');
  console.log(`  ask overhead to first token, same ${ASKS} asks through each door (one API key, turns alternating):`);
  for (const door of Object.keys(doors)) {
    console.log(
      `    ${door.padEnd(7)} p50 ${fmt(doorP50(door))}  p95 ${fmt(doorP95(door))}  (${doors[door].failures} failed)`,
    );
  }
  const paired = rounds.map((r) => r.ollama - r.rest).filter(Number.isFinite);
  console.log(
    `    /ollama − REST: p50 ${fmtSigned(p50Gap)}  p95 ${fmtSigned(p95Gap)}  (median of the per-question differences ${fmtSigned(percentile(paired, 50))})   target within 5 ms: ${mark(Math.abs(p50Gap) <= 5 && Math.abs(p95Gap) <= 5)}`,
  );
  console.log(`  MCP door (/mcp tool ask vs REST JSON ask): ${describeDoorFigures(mcpDoor)}`);
  console.log(
    `  ${CONCURRENT_ASKS} concurrent streaming asks: ${burstErrors} errors, all done in ${fmt(burstMs)}, first delta p50 ${fmt(percentile(burstFirst, 50))} p95 ${fmt(percentile(burstFirst, 95))}   target 0 errors: ${mark(burstErrors === 0)}`,
  );
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
