/**
 * Retrieval-quality benchmark (npm run bench:quality).
 *
 * Ingests the corpus documents that ../shared/corpus/questions.jsonl names into one knowledge base through
 * the real pipeline (upload → Bull → parse → split → embed → index), then asks every question through
 * POST /api/knowledge-bases/:id/search in each mode and prints hit@1, hit@5 and MRR@10 per mode and per
 * question kind. A passage answers a question when, with all whitespace removed from both, it contains
 * one of the question's needles.
 *
 * Embeddings come from the fake Ollama: hashed words and character pairs, not a language model. Questions
 * of kind `paraphrase` share few words with their answer, so their vector scores are low here; that is
 * expected and honest. With a real model (bge-m3), point OLLAMA_BASE_URL at Ollama and set
 * BENCH_REAL_OLLAMA=true.
 *
 * Uses its own database (BENCH_DATABASE_NAME, default zhiku_bench_quality), recreated on every run.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DataSource } from 'typeorm';
import { recreateBenchDatabase, runBenchmark, useBenchDatabase } from './support/bench-setup';

const DATABASE_NAME = useBenchDatabase('zhiku_bench_quality');
const CORPUS_DIR = path.resolve(__dirname, '../../shared/corpus');
const MODES = ['hybrid', 'vector', 'keyword'] as const;
const K = 10;

interface Question {
  id: string;
  doc: string;
  question: string;
  needles: string[];
  page: number;
  kind: string;
}

interface Hit {
  content: string;
  documentName: string;
  pageFrom: number | null;
}

const squash = (s: string): string => s.replace(/\s+/g, '');

/** 1-based rank of the first passage of the right document that contains a needle; 0 when none does. */
function rankOfAnswer(q: Question, results: Hit[]): number {
  const needles = q.needles.map(squash);
  const index = results.findIndex(
    (r) => r.documentName === q.doc && needles.some((n) => squash(r.content).includes(n)),
  );
  return index + 1;
}

async function main(): Promise<void> {
  const questions: Question[] = fs
    .readFileSync(path.join(CORPUS_DIR, 'questions.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line));
  const docs = [...new Set(questions.map((q) => q.doc))];
  console.log(`bench:quality — ${questions.length} questions over ${docs.join(', ')}`);

  await recreateBenchDatabase(DATABASE_NAME);
  const { startTestApp } = await import('../test/support/test-app');
  const { IngestionClient } = await import('../test/ingestion/support/ingestion-client');
  const { TEST_ADMIN } = await import('../test/support/auth-helpers');
  const env: Record<string, string> = { ADMIN_EMAIL: TEST_ADMIN.email, ADMIN_PASSWORD: TEST_ADMIN.password };
  if (process.env.BENCH_REAL_OLLAMA === 'true' && process.env.OLLAMA_BASE_URL)
    env.OLLAMA_BASE_URL = process.env.OLLAMA_BASE_URL;
  const app = await startTestApp({ role: 'all', env });
  try {
    const client = await IngestionClient.signIn(app);
    const kb = await client.createKnowledgeBase({ name: 'quality benchmark' });
    const started = Date.now();
    const uploaded = await client.uploadOk(
      kb.id,
      docs.map((name) => ({ name, data: fs.readFileSync(path.join(CORPUS_DIR, name)) })),
    );
    for (const doc of uploaded) {
      const done = await client.waitFor(doc.id, undefined, 600_000);
      if (done.status !== 'ready')
        throw new Error(`${doc.filename} did not become ready: ${JSON.stringify(done.error)}`);
      console.log(`  ${done.filename}: ${done.pageCount} pages, ${done.chunkCount} chunks`);
    }
    console.log(`  ingested in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    // What autovacuum does within a minute of a large insert: the keyword leg reads term statistics.
    await app.app.get(DataSource).query('ANALYZE chunks');

    const ranks: Record<string, Record<string, number>> = {};
    for (const q of questions) {
      ranks[q.id] = {};
      for (const mode of MODES) {
        const res = await client
          .post(`/api/knowledge-bases/${kb.id}/search`)
          .send({ query: q.question, mode, topK: K, minScore: -1 });
        if (res.status !== 200) throw new Error(`search ${q.id} ${mode}: ${res.status} ${JSON.stringify(res.body)}`);
        ranks[q.id][mode] = rankOfAnswer(q, res.body.results);
      }
    }

    const kinds = ['all', ...new Set(questions.map((q) => q.kind))];
    const row = (label: string, values: string[], width = 9) =>
      console.log(`  ${label.padEnd(22)}${values.map((v) => v.padStart(width)).join('')}`);
    console.log('\nRank of the first passage holding the answer (0 = not in the top 10):');
    row('question', [...MODES]);
    for (const q of questions)
      row(
        `${q.id} (${q.kind.slice(0, 4)})`,
        MODES.map((m) => String(ranks[q.id][m])),
      );

    console.log('\nhit@1 / hit@5 / MRR@10:');
    row('kind (questions)', [...MODES], 22);
    for (const kind of kinds) {
      const subset = questions.filter((q) => kind === 'all' || q.kind === kind);
      const cells = MODES.map((mode) => {
        const r = subset.map((q) => ranks[q.id][mode]);
        const hit = (k: number) => r.filter((x) => x > 0 && x <= k).length / r.length;
        const mrr = r.reduce((sum, x) => sum + (x > 0 ? 1 / x : 0), 0) / r.length;
        return `${hit(1).toFixed(2)} / ${hit(5).toFixed(2)} / ${mrr.toFixed(2)}`;
      });
      row(`${kind} (${subset.length})`, cells, 22);
    }
    const lexical = questions.filter((q) => q.kind === 'lexical');
    for (const mode of ['keyword', 'hybrid'] as const) {
      const hit5 = lexical.filter((q) => ranks[q.id][mode] > 0 && ranks[q.id][mode] <= 5).length / lexical.length;
      console.log(
        `  target: ${mode} hit@5 on lexical questions ≥ 0.8 → ${hit5.toFixed(2)} ${hit5 >= 0.8 ? 'ok' : 'MISSED'}`,
      );
    }
  } finally {
    await app.close();
  }
}

runBenchmark(main);
