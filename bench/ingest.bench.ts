/**
 * Ingestion benchmark (npm run bench:ingest): ingests ../shared/corpus/refman.pdf (2415 pages) through
 * the real API and a separate worker process, with the fake Ollama answering instantly (1024
 * dimensions, like bge-m3), and prints parse pages/s, embed+index chunks/s, upload-to-ready seconds and
 * the worker's peak RSS; then again with every /api/embed call taking 50 ms, comparing the embed stage
 * with calls × 50 ms ÷ EMBED_CONCURRENCY. Then OCR: scanned A4 pages at 300 dpi (corpus pages through
 * pdftoppm → img2pdf), English and Chinese, recognized by the worker with OCR_CONCURRENCY (default 2)
 * pages at once, in OCR pages/s, while a text PDF is ingested beside them to show that its embedding goes
 * on. Uses its own database (BENCH_DATABASE_NAME, recreated).
 *
 * Options (env): BENCH_FILE=<pdf> (default refman.pdf), BENCH_SKIP_LATENCY=true, BENCH_SKIP_OCR=true,
 * BENCH_ONLY_OCR=true, BENCH_OCR_PAGES=<n> (English pages, default 12; Chinese: half), BENCH_DROP_HNSW=true (diagnostic:
 * without the 1024-d HNSW index, to see what its inserts cost).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { CORPUS_DIR } from '../test/support/corpus-dir';
import { compileWorker, recreateBenchDatabase, runBenchmark, useBenchDatabase } from './support/bench-setup';

const DATABASE_NAME = useBenchDatabase('zhiku_bench_ingest');
const FILE = process.env.BENCH_FILE ?? path.join(CORPUS_DIR, 'refman.pdf');
const LATENCY_MS = 50;

interface StageTimes {
  uploadStart: number;
  parsing?: number;
  chunking?: number;
  embedding?: number;
  /** When the pipeline started building the knowledge base's HNSW index (after the last chunk was written). */
  indexing?: number;
  ready?: number;
  pageCount: number;
  chunkCount: number;
}

async function recreateDatabase(): Promise<void> {
  await recreateBenchDatabase(DATABASE_NAME);
  if (process.env.BENCH_DROP_HNSW === 'true') {
    // Diagnostic only: shows how much of embed+index the HNSW inserts take.
    const db = new Client({ connectionString: process.env.DATABASE_URL });
    await db.connect();
    await db.query('DROP INDEX chunks_embedding_hnsw_1024_idx');
    await db.end();
  }
}

async function main(): Promise<void> {
  await recreateDatabase();
  const { IngestionClient } = await import('../test/ingestion/support/ingestion-client');
  const { openEventStream } = await import('../test/ingestion/support/event-stream');
  const { startSplitDeployment } = await import('../test/ingestion/support/split-deployment');
  const { loadAppConfig } = await import('../src/config/app-config');

  const entry = compileWorker();

  const deployment = await startSplitDeployment('bench', {}, entry);
  const { fake, api, worker } = deployment;
  const config = loadAppConfig({ ...process.env, OLLAMA_BASE_URL: fake.url });
  const client = await IngestionClient.signIn(api);
  const data = fs.readFileSync(FILE);

  const ingest = async (label: string): Promise<StageTimes> => {
    const kb = await client.createKnowledgeBase({ name: `bench ${label}` });
    const stream = await openEventStream(`${api.url}/api/knowledge-bases/${kb.id}/events`, client.headers);
    const times: StageTimes = { uploadStart: Date.now(), pageCount: 0, chunkCount: 0 };
    const [doc] = await client.uploadOk(kb.id, [{ name: path.basename(FILE), data }]);
    const done = await stream.waitFor(
      (e) => e.data.document?.id === doc.id && ['ready', 'failed'].includes(e.data.document?.status),
      600_000,
    );
    stream.close();
    if (done.data.document.status !== 'ready')
      throw new Error(`ingestion failed: ${JSON.stringify(done.data.document)}`);
    for (const e of stream.events) {
      const d = e.data.document;
      if (d?.id !== doc.id) continue;
      const at = Date.parse(e.data.at);
      const status = d.status as 'parsing' | 'chunking' | 'embedding' | 'ready';
      if (status in { parsing: 1, chunking: 1, embedding: 1, ready: 1 } && times[status] === undefined)
        times[status] = at;
      if (d.statusDetail === 'Building the search index' && times.indexing === undefined) times.indexing = at;
    }
    times.ready = done.receivedAt;
    const final = await client.document(doc.id);
    times.pageCount = final.pageCount ?? 0;
    times.chunkCount = final.chunkCount;
    return times;
  };
  const seconds = (from?: number, to?: number): number => ((to ?? 0) - (from ?? 0)) / 1000;
  const embedSecondsRate = (t: StageTimes): number => t.chunkCount / seconds(t.embedding, t.ready);
  const fmt = (n: number, digits = 1): string => n.toFixed(digits);

  if (process.env.BENCH_ONLY_OCR !== 'true') {
    const fast = await ingest('instant');
    const parseSeconds = seconds(fast.parsing, fast.chunking);
    const embedSeconds = seconds(fast.embedding, fast.ready);
    console.log(
      `\nIngestion benchmark: ${path.basename(FILE)} (${fast.pageCount} pages, ${fast.chunkCount} chunks), fake Ollama at 1024 dimensions`,
    );
    console.log(
      `  parse (with cleanup)     ${fmt(fast.pageCount / parseSeconds, 0)} pages/s   (${fmt(parseSeconds)} s; target ≥ 200)`,
    );
    console.log(`  chunking                 ${fmt(seconds(fast.chunking, fast.embedding), 2)} s`);
    console.log(
      `  embed + index            ${fmt(fast.chunkCount / embedSeconds, 0)} chunks/s  (${fmt(embedSeconds)} s; target ≥ 1000)`,
    );
    console.log(
      `    of which HNSW build    ${fmt(seconds(fast.indexing, fast.ready), 2)} s (bulk, after the last chunk is written)`,
    );
    console.log(`  upload to ready          ${fmt(seconds(fast.uploadStart, fast.ready))} s   (target ≤ 25)`);
    console.log(`  worker peak RSS          ${worker.peakRssMb()} MB   (target ≤ 600)`);

    // What keeping the BM25 statistics exact costs: the same ingestion with the statistics triggers off,
    // then on again (alternated, so neither run is always the warmer one).
    const triggers = new Client({ connectionString: process.env.DATABASE_URL });
    await triggers.connect();
    const statisticsTriggers = async (on: boolean): Promise<void> => {
      const verb = on ? 'ENABLE' : 'DISABLE';
      for (const op of ['insert', 'update', 'delete'])
        await triggers.query(`ALTER TABLE chunks ${verb} TRIGGER chunks_keyword_stats_${op}`);
      await triggers.query(`ALTER TABLE documents ${verb} TRIGGER documents_keyword_stats_live_run`);
      await triggers.query(`ALTER TABLE documents ${verb} TRIGGER documents_keyword_stats_delete`);
    };
    const rates: Record<'with' | 'without', number[]> = { with: [embedSecondsRate(fast)], without: [] };
    for (const on of [false, true, false]) {
      await statisticsTriggers(on);
      const run = await ingest(on ? 'statistics' : 'no statistics');
      rates[on ? 'with' : 'without'].push(embedSecondsRate(run));
    }
    await statisticsTriggers(true);
    await triggers.end();
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    const overhead = 1 - mean(rates.with) / mean(rates.without);
    console.log(
      `  BM25 statistics          embed + index ${rates.with.map((r) => fmt(r, 0)).join(', ')} chunks/s with, ` +
        `${rates.without.map((r) => fmt(r, 0)).join(', ')} without → ${fmt(overhead * 100)} % (target ≤ 10 %; load ${os
          .loadavg()
          .map((x) => x.toFixed(1))
          .join(' ')})`,
    );

    if (process.env.BENCH_SKIP_LATENCY !== 'true') {
      fake.configure({ embedLatencyMs: LATENCY_MS });
      const embedCallsBefore = fake.counts.requestsByRoute['POST /api/embed'] ?? 0;
      const slow = await ingest('latency');
      const calls = (fake.counts.requestsByRoute['POST /api/embed'] ?? 0) - embedCallsBefore;
      const embedCalls = fake.requestsTo('/api/embed').slice(-calls);
      const ollamaWindow = embedCalls.length
        ? (embedCalls[embedCalls.length - 1].at - embedCalls[0].at) / 1000 + LATENCY_MS / 1000
        : 0;
      if (!calls)
        throw new Error(`the fake counted no /api/embed calls: ${JSON.stringify(fake.counts.requestsByRoute)}`);
      // The embed stage ends when the last chunk is written; the HNSW build after it is printed on its own.
      const embedStage = seconds(slow.embedding, slow.indexing ?? slow.ready);
      const ideal = (calls * LATENCY_MS) / 1000 / config.embedConcurrency;
      console.log(
        `\nWith ${LATENCY_MS} ms per /api/embed call (EMBED_BATCH_SIZE=${config.embedBatchSize}, EMBED_CONCURRENCY=${config.embedConcurrency}):`,
      );
      console.log(
        `  embed stage              ${fmt(embedStage, 2)} s for ${calls} calls (at most ${fake.counts.maxActiveEmbeds} at once)`,
      );
      console.log(`  then the HNSW build      ${fmt(seconds(slow.indexing, slow.ready), 2)} s`);
      console.log(`  calls × ${LATENCY_MS} ms ÷ concurrency ${fmt(ideal, 2)} s`);
      console.log(`  overhead                 ${fmt(((embedStage - ideal) / ideal) * 100)} %   (target ≤ 10 %)`);
      console.log(
        `  Ollama busy (first to last /api/embed answer) ${fmt(ollamaWindow, 2)} s; the rest is the service's own work`,
      );
      // The same number of calls from a bare client (the official ollama-js through OllamaClientService, the
      // same concurrency, no PostgreSQL): what HTTP to the fake costs by itself, so the service's own share shows.
      const { OllamaClientService } = await import('../src/llm/ollama-client.service');
      const bare = new OllamaClientService(config);
      const texts = Array.from({ length: config.embedBatchSize }, (_, i) => `passage ${i} `.repeat(120));
      let next = 0;
      const bareStarted = Date.now();
      await Promise.all(
        Array.from({ length: config.embedConcurrency }, async () => {
          while (next++ < calls) {
            await new Promise<void>((resolve, reject) => {
              bare.embed(texts, { model: 'bge-m3', onAnswered: resolve }).catch(reject);
            });
          }
        }),
      );
      const bareSeconds = (Date.now() - bareStarted) / 1000;
      console.log(
        `  a bare client, same calls  ${fmt(bareSeconds, 2)} s (${fmt(((bareSeconds - ideal) / ideal) * 100)} % over): the service adds ${fmt(((embedStage - bareSeconds) / bareSeconds) * 100)} % to it`,
      );
      console.log(`  worker peak RSS, both runs ${worker.peakRssMb()} MB`);
    }
  }

  if (process.env.BENCH_SKIP_OCR !== 'true') {
    fake.configure({ embedLatencyMs: 0 });
    const { scannedPdf } = await import('../test/ingestion/support/format-fixtures');
    const pages = Number(process.env.BENCH_OCR_PAGES ?? 12);
    const ocrConcurrency = Number(process.env.OCR_CONCURRENCY ?? 2);
    const beside = fs.readFileSync(path.join(CORPUS_DIR, 'R-data.pdf'));
    // Alone first: the text PDF's upload-to-ready time without OCR running.
    const alone = await ingestTimed(client, api.url, 'text alone', [{ name: 'R-data.pdf', data: beside }]);
    const runs: Array<{ label: string; source: string; first: number; languages: string[]; count: number }> = [
      { label: 'English', source: 'R-intro.pdf', first: 20, languages: ['eng'], count: pages },
      // The default languages: the first page is read with the Han script model, then the document's pages
      // turn out English and go on with eng.
      { label: 'English', source: 'R-intro.pdf', first: 20, languages: ['chi_sim', 'eng'], count: pages },
      {
        label: 'Chinese',
        source: 'install-latex-guide-zh-cn.pdf',
        first: 30,
        languages: ['chi_sim', 'eng'],
        count: Math.max(1, Math.round(pages / 2)),
      },
    ];
    console.log(`\nOCR (tesseract ${ocrVersion()}, OCR_CONCURRENCY=${ocrConcurrency}), scanned A4 pages at 300 dpi:`);
    for (const run of runs) {
      const scan = scannedPdf(
        run.source,
        Array.from({ length: run.count }, (_, i) => run.first + i),
        { a4: true },
      );
      const cpuBefore = childCpuSeconds(worker.pid);
      const loadBefore = fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
      const [ocr, text] = await Promise.all([
        ingestTimed(client, api.url, `ocr ${run.label}`, [{ name: 'scan.pdf', data: scan }], {
          ocrLanguages: run.languages,
        }),
        // The text PDF starts once OCR is under way, and must become ready while it still runs.
        new Promise<void>((resolve) => setTimeout(resolve, 3000)).then(() =>
          ingestTimed(client, api.url, `text beside ${run.label}`, [{ name: 'R-data.pdf', data: beside }]),
        ),
      ]);
      const ocrSeconds = seconds(ocr.firstOcrPage, ocr.chunking);
      // The OCR tools (pdftoppm, Tesseract, qpdf) are the worker's only child processes: their CPU time, counted
      // by the kernel when they end, does not depend on what else the machine is doing.
      const cpuPerPage = (childCpuSeconds(worker.pid) - cpuBefore) / run.count;
      const cores = Math.min(ocrConcurrency, os.availableParallelism());
      console.log(
        `  ${`${run.label} (${run.languages.join('+')})`.padEnd(22)} ${run.count} pages in ${fmt(ocrSeconds)} s = ${fmt(run.count / ocrSeconds, 2)} pages/s   (target ≥ 1; load average ${loadBefore} before)`,
      );
      console.log(
        `    CPU ${fmt(cpuPerPage, 2)} s per page → ${fmt(cores / cpuPerPage, 2)} pages/s on ${cores} idle cores; ` +
          `recognizing ${fmt(seconds(ocr.firstOcrPage, ocr.lastOcrPage))} s, then the text layer laid over and read ${fmt(seconds(ocr.lastOcrPage, ocr.chunking))} s`,
      );
      const during = text.ready! < ocr.chunking!;
      console.log(
        `    meanwhile R-data.pdf (41 pages, ${text.chunkCount} chunks) went upload → ready in ${fmt(seconds(text.uploadStart, text.ready))} s (alone: ${fmt(seconds(alone.uploadStart, alone.ready))} s), ${during ? 'while OCR was still running' : 'but only after OCR had finished'}`,
      );
    }
    console.log(`  worker peak RSS ${worker.peakRssMb()} MB`);
  }

  await deployment.close();
}

interface TimedIngest extends StageTimes {
  /** When the first "OCR page 1 of n" was published. */
  firstOcrPage?: number;
  /** When the last "OCR page …" was published (the last page recognized). */
  lastOcrPage?: number;
}

/** Uploads files into a new knowledge base and times the stages of the first from its events. */
async function ingestTimed(
  client: import('../test/ingestion/support/ingestion-client').IngestionClient,
  apiUrl: string,
  label: string,
  files: Array<{ name: string; data: Buffer }>,
  settings: Record<string, unknown> = {},
): Promise<TimedIngest> {
  const { openEventStream } = await import('../test/ingestion/support/event-stream');
  const kb = await client.createKnowledgeBase({ name: `bench ${label}`, settings });
  const stream = await openEventStream(`${apiUrl}/api/knowledge-bases/${kb.id}/events`, client.headers);
  const times: TimedIngest = { uploadStart: Date.now(), pageCount: 0, chunkCount: 0 };
  const [doc] = await client.uploadOk(kb.id, files);
  const done = await stream.waitFor(
    (e) => e.data.document?.id === doc.id && ['ready', 'failed'].includes(e.data.document?.status),
    900_000,
  );
  stream.close();
  if (done.data.document.status !== 'ready') throw new Error(`${label} failed: ${JSON.stringify(done.data.document)}`);
  for (const e of stream.events) {
    const d = e.data.document;
    if (d?.id !== doc.id) continue;
    const at = Date.parse(e.data.at);
    if (typeof d.statusDetail === 'string' && d.statusDetail.startsWith('OCR page ')) {
      times.firstOcrPage ??= at;
      times.lastOcrPage = at;
    }
    const status = d.status as 'parsing' | 'chunking' | 'embedding';
    if (status in { parsing: 1, chunking: 1, embedding: 1 } && times[status] === undefined) times[status] = at;
  }
  times.ready = done.receivedAt;
  times.chunkCount = (await client.document(doc.id)).chunkCount;
  return times;
}

/** CPU seconds (user + system) of the process's finished child processes, from /proc/<pid>/stat. */
function childCpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  // After "pid (comm) ": state is field 3, so cutime (16) and cstime (17) are at 13 and 14.
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

function ocrVersion(): string {
  // Tesseract prints its version on stdout or stderr, depending on the release.
  const out = spawnSync('tesseract', ['--version'], { encoding: 'utf8' });
  return (/tesseract (\S+)/.exec(`${out.stdout}${out.stderr}`)?.[1] ?? 'unknown').trim();
}

runBenchmark(main);
