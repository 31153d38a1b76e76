import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type {
  PdfPageReaderQuery,
  PdfPageReaderReply,
  PdfPageReaderRequest,
  PdfPageReaderSetup,
} from './pdf-page-reader.worker';

const PDFJS_DIR = path.dirname(require.resolve('pdfjs-dist/package.json'));
const SETUP: PdfPageReaderSetup = {
  /** pdf.js's bundled character maps: without them Chinese PDFs with non-embedded fonts give no text. */
  cMapUrl: path.join(PDFJS_DIR, 'cmaps') + path.sep,
  standardFontDataUrl: path.join(PDFJS_DIR, 'standard_fonts') + path.sep,
};

/**
 * Documents a reader thread reads before it is replaced: pdf.js forgets a document when it is let go, but a
 * fresh isolate now and then bounds whatever it might not (a fresh one costs ~0.7 CPU-s).
 */
export const DOCUMENTS_PER_READER = 100;
/** An idle reader thread (~70 MB) is stopped after this long, so an idle worker gives its memory back. */
export const READER_IDLE_MS = 30_000;
/**
 * Young generation of a reader's heap (V8's default is ~48 MB): a long-lived reader's heap otherwise grows
 * with every document before V8 collects it. Reading 300 wild PDFs side by side, two readers: peak RSS
 * 292–296 MB against 348–373, in the same time (a forced full collection after each document instead
 * doubled the time: it throws away pdf.js's compiled code).
 */
const READER_YOUNG_GENERATION_MB = 8;
/**
 * Old generation of a reader's heap. V8 lets a heap it may grow large carry its garbage far longer: limited
 * to 128 MB (any limit up to 256 MB sets V8's memory-saving growth), the text of all 1,078 wild PDFs read one
 * after another peaked at 240 MB RSS against 365 MB, for ~20 % more CPU, and no document needed more. One that
 * does runs the reader out of memory; it is read again by a reader without the limit (acquireRoomy).
 */
export const READER_OLD_GENERATION_MB = 128;

/** Whether a reader thread broke because its heap reached its limit (the document may need a roomy one). */
export function isReaderOutOfMemory(err: unknown): boolean {
  return (err as { code?: unknown } | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY';
}

/** The reader did not answer a request in time; it has been stopped. */
export class ReaderTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`the PDF reader did not answer within ${Math.round(timeoutMs / 1000)} s`);
    this.name = 'ReaderTimeoutError';
  }
}

/** A reader thread lent to one document: its requests are answered in order, one at a time. */
export interface PdfReader {
  /** Sends a read or images request and waits for its reply; rejects when the thread breaks or times out. */
  request(query: PdfPageReaderQuery, timeoutMs: number): Promise<PdfPageReaderReply>;
}

interface PooledReader extends PdfReader {
  worker: Worker;
  /** Started without the old-generation limit, for one document: stopped when given back. */
  roomy: boolean;
  documents: number;
  /** A request is unanswered, or the thread broke: it cannot be lent again. */
  spoiled: boolean;
  idleTimer?: NodeJS.Timeout;
}

/**
 * Long-lived pdf.js reader threads (pdf-page-reader.worker.ts), lent to one document at a time. Starting a
 * thread per document cost ~0.7 CPU-s each, and the threads of documents just finished overlapped those of
 * the next (the wild sweep's peaks). At most `size` threads exist; a document that finds none free waits.
 */
export class PdfReaderPool {
  private readonly idle: PooledReader[] = [];
  /** Documents waiting for a reader; a roomy one is started without the old-generation limit. */
  private readonly waiting: Array<{ roomy: boolean; resolve: (reader: PooledReader) => void }> = [];
  private threads = 0;
  private started = 0;

  constructor(
    readonly size: number,
    private readonly idleMs = READER_IDLE_MS,
    private readonly oldGenerationMb = READER_OLD_GENERATION_MB,
  ) {}

  /** A reader with `data` open: a free one, a new one while under `size`, or the next one given back. */
  async acquire(data: Uint8Array): Promise<PdfReader> {
    const reader = this.idle.pop() ?? (this.threads < this.size ? this.start() : await this.nextReleased());
    return this.lend(reader, data);
  }

  /**
   * A reader with `data` open and no old-generation limit, for a document that ran a reader out of memory:
   * it takes a pooled reader's place (waiting for one like acquire) and is stopped when given back.
   */
  async acquireRoomy(data: Uint8Array): Promise<PdfReader> {
    const now = this.tryAcquireRoomy(data);
    if (now) return now;
    const place = await this.nextReleased(true);
    return place.roomy ? this.lend(place, data) : this.roomyInPlaceOf(place, data);
  }

  /** A roomy reader with `data` open when a thread's place is free now (an idle reader's too); undefined otherwise. */
  tryAcquireRoomy(data: Uint8Array): PdfReader | undefined {
    const place = this.idle.pop();
    if (!place && this.threads >= this.size) return undefined;
    return this.roomyInPlaceOf(place, data);
  }

  /** A reader with `data` open when one is free or may be started now; undefined otherwise. */
  tryAcquire(data: Uint8Array): PdfReader | undefined {
    const reader = this.idle.pop() ?? (this.threads < this.size ? this.start() : undefined);
    return reader && this.lend(reader, data);
  }

  /** Whether a document is waiting for a reader (an extra reader of another document then gives way). */
  hasWaiting(): boolean {
    return this.waiting.length > 0;
  }

  /**
   * Gives a reader back: it lets its document go and serves the next one, unless a request is unanswered
   * (it is stopped), it has read DOCUMENTS_PER_READER documents (replaced) or `keep` is false.
   */
  release(lent: PdfReader, keep = true): void {
    const reader = lent as PooledReader;
    if (!keep || reader.spoiled || reader.documents >= DOCUMENTS_PER_READER) return this.stop(reader);
    reader.worker.postMessage({ type: 'close' } satisfies PdfPageReaderRequest);
    const next = this.waiting.shift();
    if (next) return next.resolve(reader);
    reader.idleTimer = setTimeout(() => this.stop(reader), this.idleMs);
    reader.idleTimer.unref();
    // An idle thread does not keep the process alive (a stopping worker, a finished test run).
    reader.worker.unref();
    this.idle.push(reader);
  }

  /** Threads alive, and threads started since the pool was made (tests, diagnostics). */
  stats(): { threads: number; started: number; idle: number } {
    return { threads: this.threads, started: this.started, idle: this.idle.length };
  }

  private lend(reader: PooledReader, data: Uint8Array): PdfReader {
    clearTimeout(reader.idleTimer);
    reader.worker.ref();
    reader.documents++;
    // A copy of the caller's bytes in a buffer of its own (a Buffer's slice() would share the caller's),
    // moved to the thread rather than copied again.
    const copy = new Uint8Array(data.byteLength);
    copy.set(data);
    reader.worker.postMessage({ type: 'open', data: copy } satisfies PdfPageReaderRequest, [copy.buffer]);
    return reader;
  }

  /** Stops `place` (a pooled reader given back or idle) and starts a roomy reader with `data` open instead. */
  private roomyInPlaceOf(place: PooledReader | undefined, data: Uint8Array): PdfReader {
    if (place) this.stop(place);
    return this.lend(this.start(false), data);
  }

  private nextReleased(roomy = false): Promise<PooledReader> {
    return new Promise((resolve) => this.waiting.push({ roomy, resolve }));
  }

  private stop(reader: PooledReader): void {
    reader.spoiled = true;
    this.forget(reader);
    void reader.worker.terminate();
  }

  private forget(reader: PooledReader): void {
    clearTimeout(reader.idleTimer);
    const idle = this.idle.indexOf(reader);
    if (idle >= 0) this.idle.splice(idle, 1);
  }

  private start(limited = true): PooledReader {
    const worker = startReaderThread(limited ? this.oldGenerationMb : undefined);
    this.threads++;
    this.started++;
    const reader: PooledReader = {
      worker,
      roomy: !limited,
      // A roomy reader serves one document.
      documents: limited ? 0 : DOCUMENTS_PER_READER,
      spoiled: false,
      request: (query, timeoutMs) =>
        new Promise<PdfPageReaderReply>((resolve, reject) => {
          if (reader.spoiled) return reject(new Error('the PDF reader thread has stopped'));
          // Until it answers, the thread is in use; if it never does, it is not lent again.
          reader.spoiled = true;
          const done = (): void => {
            clearTimeout(timer);
            worker.off('message', onMessage).off('error', onError).off('exit', onExit);
          };
          const onMessage = (reply: PdfPageReaderReply): void => {
            done();
            reader.spoiled = false;
            resolve(reply);
          };
          const onError = (err: Error): void => {
            done();
            reject(err);
          };
          const onExit = (code: number): void => {
            done();
            reject(new Error(`the PDF reader thread stopped unexpectedly (exit code ${code})`));
          };
          const timer = setTimeout(() => {
            done();
            void worker.terminate();
            reject(new ReaderTimeoutError(timeoutMs));
          }, timeoutMs);
          worker.on('message', onMessage).once('error', onError).once('exit', onExit);
          worker.postMessage(query);
        }),
    };
    worker.once('exit', () => {
      this.threads--;
      // A thread that broke between documents is not lent again; its place goes to a waiting document.
      reader.spoiled = true;
      this.forget(reader);
      const next = this.threads < this.size ? this.waiting.shift() : undefined;
      if (next) next.resolve(this.start(!next.roomy));
    });
    // A break during a request rejects that request (its own listener); between requests it only ends the thread.
    worker.on('error', () => undefined);
    return reader;
  }
}

/**
 * Compiled, the reader is a .js file beside this one; under ts-node or jest it is TypeScript, which a
 * worker thread can only load with ts-node's hook.
 */
function startReaderThread(oldGenerationMb: number | undefined): Worker {
  const typescript = __filename.endsWith('.ts');
  return new Worker(path.join(__dirname, `pdf-page-reader.worker.${typescript ? 'ts' : 'js'}`), {
    workerData: SETUP,
    resourceLimits: { maxYoungGenerationSizeMb: READER_YOUNG_GENERATION_MB, maxOldGenerationSizeMb: oldGenerationMb },
    // Not the parent's execArgv: under ts-node's CLI it holds ts-node's own entry script.
    execArgv: typescript ? ['--require', 'ts-node/register/transpile-only'] : undefined,
  });
}

/**
 * Reader threads of this process, shared by every PDF it reads: one per core, so that documents ingested
 * side by side (INGESTION_CONCURRENCY) read in parallel up to the cores without a thread (and ~70 MB) each
 * beyond them.
 */
export const pdfReaderPool = new PdfReaderPool(Math.max(1, os.availableParallelism()));
