/**
 * Real-world sweep (npm run bench:wild): uploads every PDF that ../shared/corpus/wild/fetch.sh fetches
 * (about 1,080 files by many people and tools; fetched first when missing) into one knowledge base
 * through the real API and a separate, compiled worker process, with the fake Ollama answering at once,
 * waits until every document is ready or failed (or the deadline), and prints ready / failed by code /
 * unfinished, pages and chunks per second, the slowest documents and the worker's peak RSS. Target:
 * 0 unfinished, no INGESTION_FAILED, every failure a true, specific code.
 *
 * Options (env): BENCH_WILD_DIR (default /tmp/zhiku-wild), BENCH_WILD_LIMIT=<n> (the first n files only),
 * BENCH_DEADLINE_MIN (default 40), BENCH_WILD_REPORT=<file> (every document as JSON, for study).
 * Uses its own database (BENCH_DATABASE_NAME, default zhiku_bench_wild, recreated).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CORPUS_DIR } from '../test/support/corpus-dir';
import { compileWorker, recreateBenchDatabase, runBenchmark, useBenchDatabase } from './support/bench-setup';
import { STATUS_DETAILS } from '../src/ingestion/status-details';

const DATABASE_NAME = useBenchDatabase('zhiku_bench_wild');
const WILD_DIR = process.env.BENCH_WILD_DIR ?? '/tmp/zhiku-wild';
const FETCH_SCRIPT = path.join(CORPUS_DIR, 'wild/fetch.sh');
const DEADLINE_MS = Number(process.env.BENCH_DEADLINE_MIN ?? 40) * 60_000;
const FILES_PER_UPLOAD = 50;
const SLOWEST = 10;
const FINAL = new Set(['ready', 'failed']);

interface DocumentRow {
  id: string;
  filename: string;
  status: string;
  statusDetail: string | null;
  pageCount: number | null;
  chunkCount: number;
  sizeBytes: number;
  error: { code: string; message: string } | null;
}

/** What the events stream showed of one document: when its work started and ended, and any retry notes. */
interface Timeline {
  started?: number;
  finished?: number;
  retryDetails: Set<string>;
}

function wildFiles(): string[] {
  if (!fs.existsSync(path.join(WILD_DIR, '.complete'))) {
    console.log(`fetching the wild PDFs into ${WILD_DIR}…`);
    execFileSync('bash', [FETCH_SCRIPT, WILD_DIR], { stdio: 'inherit' });
  }
  const files = fs
    .readdirSync(WILD_DIR)
    .filter((name) => name.toLowerCase().endsWith('.pdf'))
    .sort();
  const limit = Number(process.env.BENCH_WILD_LIMIT ?? 0);
  return limit > 0 ? files.slice(0, limit) : files;
}

async function main(): Promise<void> {
  const files = wildFiles();
  const totalBytes = files.reduce((sum, name) => sum + fs.statSync(path.join(WILD_DIR, name)).size, 0);
  await recreateBenchDatabase(DATABASE_NAME);
  const entry = compileWorker();
  const { IngestionClient } = await import('../test/ingestion/support/ingestion-client');
  const { openEventStream } = await import('../test/ingestion/support/event-stream');
  const { startSplitDeployment } = await import('../test/ingestion/support/split-deployment');

  const deployment = await startSplitDeployment('wild', {}, entry);
  const { api, worker } = deployment;
  try {
    const client = await IngestionClient.signIn(api);
    const kb = await client.createKnowledgeBase({ name: 'wild sweep' });
    const timelines = new Map<string, Timeline>();
    const timeline = (id: string): Timeline => {
      let t = timelines.get(id);
      if (!t) timelines.set(id, (t = { retryDetails: new Set() }));
      return t;
    };
    const stream = await openEventStream(`${api.url}/api/knowledge-bases/${kb.id}/events`, client.headers);
    const seen = { events: 0 };
    const follow = setInterval(() => {
      // The stream keeps every event; read the new ones and let the array go.
      const events = stream.events.splice(0);
      seen.events += events.length;
      for (const e of events) {
        const d = e.data.document;
        if (e.event !== 'document.updated' || !d?.id) continue;
        const t = timeline(d.id);
        if (d.status !== 'queued' && t.started === undefined) t.started = e.receivedAt;
        if (FINAL.has(d.status)) t.finished ??= e.receivedAt;
        // Waiting for Ollama or retrying after an error; waiting one's turn for OCR or a PDF reader is not a retry.
        if (
          d.statusDetail &&
          /retry|trying again|waiting/i.test(d.statusDetail) &&
          d.statusDetail !== STATUS_DETAILS.waitingForOcr &&
          d.statusDetail !== STATUS_DETAILS.waitingForReader
        )
          t.retryDetails.add(d.statusDetail);
      }
    }, 250);

    console.log(
      `bench:wild — ${files.length} PDFs (${(totalBytes / 1024 / 1024).toFixed(0)} MB) from ${WILD_DIR} into one knowledge base`,
    );
    const started = Date.now();
    for (let i = 0; i < files.length; i += FILES_PER_UPLOAD) {
      const batch = files.slice(i, i + FILES_PER_UPLOAD);
      const res = await client.upload(
        kb.id,
        batch.map((name) => ({ name, data: fs.readFileSync(path.join(WILD_DIR, name)) })),
      );
      if (res.status !== 202) throw new Error(`upload of ${batch[0]}…: ${res.status} ${JSON.stringify(res.body)}`);
    }
    console.log(`  uploaded in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    const listAll = async (): Promise<DocumentRow[]> => {
      const rows: DocumentRow[] = [];
      for (let page = 1; ; page++) {
        const res = await client.get(`/api/knowledge-bases/${kb.id}/documents?page=${page}&pageSize=200`);
        if (res.status !== 200) throw new Error(`list: ${res.status} ${JSON.stringify(res.body)}`);
        rows.push(...res.body.items);
        if (rows.length >= res.body.total || !res.body.items.length) return rows;
      }
    };
    let docs = await listAll();
    let lastReport = Date.now();
    while (docs.some((d) => !FINAL.has(d.status)) && Date.now() - started < DEADLINE_MS) {
      await new Promise((r) => setTimeout(r, 2_000));
      docs = await listAll();
      if (Date.now() - lastReport >= 30_000) {
        lastReport = Date.now();
        const done = docs.filter((d) => FINAL.has(d.status)).length;
        console.log(`  … ${((Date.now() - started) / 1000).toFixed(0)} s: ${done} of ${docs.length} finished`);
      }
    }
    const wall = (Date.now() - started) / 1000;
    await new Promise((r) => setTimeout(r, 500)); // the last events
    clearInterval(follow);
    stream.close();

    const ready = docs.filter((d) => d.status === 'ready');
    const failed = docs.filter((d) => d.status === 'failed');
    const unfinished = docs.filter((d) => !FINAL.has(d.status));
    const byCode = new Map<string, DocumentRow[]>();
    for (const d of failed) {
      const code = d.error?.code ?? '(none)';
      byCode.set(code, [...(byCode.get(code) ?? []), d]);
    }
    const pages = ready.reduce((sum, d) => sum + (d.pageCount ?? 0), 0);
    const chunks = ready.reduce((sum, d) => sum + d.chunkCount, 0);
    const retried = docs.filter((d) => (timelines.get(d.id)?.retryDetails.size ?? 0) > 0);

    console.log(`\nWild sweep: ${docs.length} documents in ${wall.toFixed(1)} s (upload to the last one finished)`);
    console.log(`  ready                    ${ready.length}`);
    for (const [code, rows] of [...byCode].sort((a, b) => b[1].length - a[1].length)) {
      console.log(`  failed ${code.padEnd(18)}${rows.length}`);
    }
    console.log(`  unfinished               ${unfinished.length}   (target 0)`);
    console.log(`  INGESTION_FAILED         ${byCode.get('INGESTION_FAILED')?.length ?? 0}   (target 0)`);
    console.log(`  retried on the way       ${retried.length}`);
    console.log(`  documents                ${(docs.length / wall).toFixed(2)} /s`);
    console.log(`  pages (ready documents)  ${pages}: ${(pages / wall).toFixed(0)} pages/s`);
    console.log(`  chunks                   ${chunks}: ${(chunks / wall).toFixed(0)} chunks/s`);
    console.log(`  worker peak RSS          ${worker.peakRssMb()} MB`);

    const durations = docs
      .map((d) => {
        const t = timelines.get(d.id);
        return { d, seconds: t?.started && t.finished ? (t.finished - t.started) / 1000 : NaN };
      })
      .filter((x) => Number.isFinite(x.seconds))
      .sort((a, b) => b.seconds - a.seconds);
    console.log(`\n  slowest documents (first status change to ready/failed):`);
    for (const { d, seconds } of durations.slice(0, SLOWEST)) {
      console.log(
        `    ${seconds.toFixed(1).padStart(6)} s  ${String(d.pageCount ?? '?').padStart(4)} pages ${String(d.chunkCount).padStart(5)} chunks  ${d.status.padEnd(6)} ${d.filename}`,
      );
    }
    for (const [code, rows] of byCode) {
      console.log(`\n  ${code} (${rows.length}), e.g.:`);
      for (const d of rows.slice(0, 5)) console.log(`    ${d.filename}: ${d.error?.message}`);
    }
    if (unfinished.length) {
      console.log(`\n  unfinished:`);
      for (const d of unfinished.slice(0, 20)) console.log(`    ${d.status} ${d.filename}: ${d.statusDetail}`);
    }
    if (retried.length) {
      console.log(`\n  retried:`);
      for (const d of retried.slice(0, 20))
        console.log(`    ${d.filename}: ${[...timelines.get(d.id)!.retryDetails].join(' | ')}`);
    }
    if (process.env.BENCH_WILD_REPORT) {
      const report = docs.map((d) => ({
        ...d,
        seconds: durations.find((x) => x.d.id === d.id)?.seconds ?? null,
        retryDetails: [...(timelines.get(d.id)?.retryDetails ?? [])],
      }));
      fs.writeFileSync(process.env.BENCH_WILD_REPORT, JSON.stringify(report, null, 1));
      console.log(`\n  every document: ${process.env.BENCH_WILD_REPORT}`);
    }
  } finally {
    await deployment.close();
  }
}

runBenchmark(main);
