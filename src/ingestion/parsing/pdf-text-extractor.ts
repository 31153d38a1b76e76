import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { IngestionError } from '../ingestion-errors';
import type { PdfPageReaderInput, PdfPageReaderReply, PdfPageReaderRequest } from './pdf-page-reader.worker';
import { PageText } from './pdf-text-cleanup';

const PDFJS_DIR = path.dirname(require.resolve('pdfjs-dist/package.json'));
/** pdf.js's bundled character maps: without them Chinese PDFs with non-embedded fonts give no text. */
const CMAP_URL = path.join(PDFJS_DIR, 'cmaps') + path.sep;
const STANDARD_FONT_URL = path.join(PDFJS_DIR, 'standard_fonts') + path.sep;
/** Pages per request to a reader thread: small enough to share a PDF's pages evenly and report progress. */
const PAGES_PER_WINDOW = 8;
/** A PDF needs this many windows before a second reader thread pays for its start-up (~0.2 s). */
const WINDOWS_PER_EXTRA_THREAD = 8;
/**
 * pdf.js keeps the whole file in memory in every thread that reads it (loading it by byte ranges instead
 * still fills a buffer of the file's length per thread: measured), so a file larger than this is read by
 * one thread: a 100 MB PDF then costs the caller's copy and one more, not one more per thread.
 */
export const MAX_BYTES_FOR_EXTRA_READERS = 32 * 1024 * 1024;
/**
 * Reader threads per PDF: two read refman.pdf (2,415 pages) in ~8 s against ~14 s for one, on 2 cores.
 * More than the cores only adds memory (~130 MB each).
 */
const MAX_READER_THREADS = Math.max(1, Math.min(2, os.availableParallelism()));
/**
 * Reader threads running in this process, over all PDFs being read. Every PDF gets one; extra ones only
 * while the process is under MAX_READER_THREADS, so documents ingested side by side (INGESTION_CONCURRENCY)
 * do not multiply the threads and their memory; and an extra one gives way, once its window is read, when
 * another PDF's reader has brought the process over MAX_READER_THREADS (the wild sweep's peak RSS was three
 * or four reader isolates at once).
 */
let runningReaders = 0;

/** Extra reader threads that gave way to another PDF's, since the process started. */
let readersGivenWay = 0;

/** Reader threads running in this process now, and extra ones that have given way (tests, diagnostics). */
export function readerThreads(): { running: number; givenWay: number } {
  return { running: runningReaders, givenWay: readersGivenWay };
}

export interface PdfReadProgress {
  pagesRead: number;
  pageCount: number;
}

/**
 * Reads the text of every page of a PDF with pdf-parse in worker threads (see pdf-page-reader.worker.ts),
 * handing out windows of pages to up to MAX_READER_THREADS threads. Maps pdf.js failures to coded errors:
 * ENCRYPTED_PDF, CORRUPT_FILE. `onProgress` may return a promise (e.g. a database write) and may throw to
 * stop early; the threads are stopped whatever happens.
 */
export async function extractPdfPages(
  data: Uint8Array,
  onProgress?: (progress: PdfReadProgress) => Promise<void> | void,
): Promise<PageText[]> {
  assertNotTruncated(data);
  const input: PdfPageReaderInput = { data, cMapUrl: CMAP_URL, standardFontDataUrl: STANDARD_FONT_URL };
  const readers: Worker[] = [];
  const pages: PageText[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      let pageCount: number | undefined;
      let nextFirst = 1;
      let busy = 0;
      let failed = false;
      const fail = (err: unknown): void => {
        if (failed) return;
        failed = true;
        reject(err);
      };
      const retired = new Set<Worker>();
      /** Gives the reader the next window, or lets it go; resolves when every window is read. */
      const feed = (reader: Worker): void => {
        if (failed) return;
        const more = pageCount === undefined || nextFirst <= pageCount;
        if (more && reader !== readers[0] && runningReaders > MAX_READER_THREADS) {
          // An extra reader gives way to another PDF's; this PDF goes on with the readers it has left.
          retired.add(reader);
          readersGivenWay++;
          void reader.terminate();
          return;
        }
        if (more) {
          const request: PdfPageReaderRequest = { first: nextFirst, last: nextFirst + PAGES_PER_WINDOW - 1 };
          nextFirst += PAGES_PER_WINDOW;
          busy++;
          reader.postMessage(request);
        } else if (busy === 0) {
          resolve();
        }
      };
      const start = (): void => {
        const reader = startReader(input);
        readers.push(reader);
        reader.on('error', fail); // the thread itself broke: not the PDF's fault
        reader.on('exit', (code) => {
          if (busy > 0 && !retired.has(reader))
            fail(new Error(`the PDF reader thread stopped unexpectedly (exit code ${code})`));
        });
        reader.on('message', (reply: PdfPageReaderReply) => {
          busy--;
          if (reply.type === 'error')
            return fail(toPdfError(Object.assign(new Error(reply.message), { name: reply.name })));
          if (reply.type !== 'pages') return fail(new Error(`unexpected reply from the PDF reader: ${reply.type}`));
          const firstReply = pageCount === undefined;
          pageCount = reply.total;
          pages.push(...reply.pages);
          Promise.resolve(onProgress?.({ pagesRead: pages.length, pageCount: reply.total })).then(() => {
            if (firstReply) {
              const wanted = readerThreadsFor(reply.total, data.byteLength);
              while (readers.length < wanted && runningReaders < MAX_READER_THREADS) start();
            }
            feed(reader);
          }, fail);
        });
        feed(reader);
      };
      start();
    });
  } finally {
    await Promise.all(readers.map((reader) => reader.terminate()));
  }
  return pages.sort((a, b) => a.num - b.num);
}

/** Reader threads worth starting for a PDF of this many pages and bytes. */
export function readerThreadsFor(pageCount: number, byteLength: number): number {
  if (byteLength > MAX_BYTES_FOR_EXTRA_READERS) return 1;
  return Math.max(
    1,
    Math.min(MAX_READER_THREADS, Math.ceil(pageCount / (PAGES_PER_WINDOW * WINDOWS_PER_EXTRA_THREAD))),
  );
}

/**
 * How many of the given pages (1-based) paint a picture: pages of a scan do, a PDF of vector drawings
 * does not. One reader thread, stopped afterwards; meant for the few PDFs without text.
 */
export async function countPagesWithImages(data: Uint8Array, pageNumbers: number[]): Promise<number> {
  const reader = startReader({ data, cMapUrl: CMAP_URL, standardFontDataUrl: STANDARD_FONT_URL });
  try {
    return await new Promise<number>((resolve, reject) => {
      reader.once('error', reject);
      reader.once('exit', (code) =>
        reject(new Error(`the PDF reader thread stopped unexpectedly (exit code ${code})`)),
      );
      reader.once('message', (reply: PdfPageReaderReply) => {
        if (reply.type === 'images') resolve(reply.pagesWithImages);
        else
          reject(
            reply.type === 'error'
              ? toPdfError(Object.assign(new Error(reply.message), { name: reply.name }))
              : new Error('unexpected reply from the PDF reader'),
          );
      });
      const request: PdfPageReaderRequest = { imagesOn: pageNumbers };
      reader.postMessage(request);
    });
  } finally {
    await reader.terminate();
  }
}

/**
 * Compiled, the reader is a .js file beside this one; under ts-node or jest it is TypeScript, which a
 * worker thread can only load with ts-node's hook.
 */
function startReader(input: PdfPageReaderInput): Worker {
  const typescript = __filename.endsWith('.ts');
  const reader = new Worker(path.join(__dirname, `pdf-page-reader.worker.${typescript ? 'ts' : 'js'}`), {
    workerData: input,
    // Not the parent's execArgv: under ts-node's CLI it holds ts-node's own entry script.
    execArgv: typescript ? ['--require', 'ts-node/register/transpile-only'] : undefined,
  });
  // Counted while it runs, so that extra threads for big PDFs stay within MAX_READER_THREADS.
  runningReaders++;
  reader.once('exit', () => runningReaders--);
  return reader;
}

/** A PDF ends with %%EOF (maybe followed by whitespace or a little junk); a cut-off download does not. */
function assertNotTruncated(data: Uint8Array): void {
  const tail = Buffer.from(data.buffer, data.byteOffset, data.byteLength)
    .subarray(Math.max(0, data.byteLength - 2048))
    .toString('latin1');
  if (!tail.includes('%%EOF')) {
    throw new IngestionError(
      'CORRUPT_FILE',
      'The PDF is damaged: it ends before its end-of-file marker (was the upload or download cut off?).',
    );
  }
}

function toPdfError(err: unknown): Error {
  if (err instanceof IngestionError) return err;
  // Matched by name: the error crossed from a reader thread (and pdf-parse stays out of this thread).
  if ((err as Error)?.name === 'PasswordException') {
    return new IngestionError(
      'ENCRYPTED_PDF',
      'The PDF is password-protected; remove the password (e.g. print to a new PDF) and upload it again.',
    );
  }
  const message = err instanceof Error ? err.message : String(err);
  return new IngestionError('CORRUPT_FILE', `The PDF is damaged and cannot be read: ${message}`);
}
