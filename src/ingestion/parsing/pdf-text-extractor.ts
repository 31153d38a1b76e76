import * as os from 'node:os';
import { IngestionError } from '../ingestion-errors';
import type { PdfPageReaderQuery, PdfPageReaderReply } from './pdf-page-reader.worker';
import { isReaderOutOfMemory, PdfReader, PdfReaderPool, pdfReaderPool, ReaderTimeoutError } from './pdf-reader-pool';
import { PageText } from './pdf-text-cleanup';

/** Pages per request to a reader thread: small enough to share a PDF's pages evenly and report progress. */
const PAGES_PER_WINDOW = 8;
/** A PDF needs this many windows before a second reader thread pays for itself. */
const WINDOWS_PER_EXTRA_THREAD = 8;
/**
 * pdf.js keeps the whole file in memory in every thread that reads it (loading it by byte ranges instead
 * still fills a buffer of the file's length per thread: measured), so a file larger than this is read by
 * one thread: a 100 MB PDF then costs the caller's copy and one more, not one more per thread.
 */
export const MAX_BYTES_FOR_EXTRA_READERS = 32 * 1024 * 1024;
/**
 * Larger PDFs are read by roomy readers (no old-generation limit, see READER_OLD_GENERATION_MB): pdf.js keeps
 * what it parsed of the whole file, and a limited heap near that size spends its time collecting. A 19 MB
 * PDF of 36,225 pages read 1.5–1.8× slower with the limit (15,000 pages in 362 s against 202); 13 MB of
 * 12,075 pages read as fast (79 s against 82) in half the memory (peak 376 MB against 726).
 */
export const MAX_BYTES_FOR_LIMITED_READERS = 16 * 1024 * 1024;
/**
 * Reader threads per PDF: two read refman.pdf (2,415 pages) in ~8 s against ~14 s for one, on 2 cores.
 * More than the cores only adds memory (~70 MB each).
 */
const MAX_READER_THREADS = Math.max(1, Math.min(2, os.availableParallelism()));
/**
 * A window of pages takes pdf.js well under a second; one that takes this long is a file pdf.js goes round in
 * circles on, and the document fails instead of holding a reader thread for ever.
 */
export const WINDOW_TIMEOUT_MS = 120_000;

/** Extra reader threads that gave way to another PDF's, since the process started. */
let readersGivenWay = 0;

/** The shared reader threads now, and extra ones that have given way (tests, diagnostics). */
export function readerThreads(): { threads: number; started: number; idle: number; givenWay: number } {
  return { ...pdfReaderPool.stats(), givenWay: readersGivenWay };
}

/**
 * `waiting`: every reader thread is busy with other documents (it comes before the first pages);
 * `reading`: pages read so far.
 */
export type PdfReadProgress = { state: 'waiting' } | { state: 'reading'; pagesRead: number; pageCount: number };

export interface PdfReadOptions {
  /** Called when the PDF waits for a reader and as pages are read; may return a promise, may throw to stop. */
  onProgress?: (progress: PdfReadProgress) => Promise<void> | void;
  windowTimeoutMs?: number;
  /** The shared pool unless a test brings its own. */
  pool?: PdfReaderPool;
  /** Files larger than this are read by roomy readers (MAX_BYTES_FOR_LIMITED_READERS unless a test says). */
  maxBytesForLimitedReaders?: number;
}

/**
 * Reads the text of every page of a PDF with pdf-parse in the shared reader threads (PdfReaderPool),
 * handing out windows of pages to up to MAX_READER_THREADS of them. An extra thread gives way, once its
 * window is read, when another PDF is waiting for one, so that documents ingested side by side are read
 * side by side. A PDF that runs a reader out of memory (its heap is limited) is read again by readers
 * without the limit, as a large one is from the start. Maps pdf.js failures to coded errors: ENCRYPTED_PDF, CORRUPT_FILE.
 */
export async function extractPdfPages(data: Uint8Array, options: PdfReadOptions = {}): Promise<PageText[]> {
  assertNotTruncated(data);
  return withReaderRoom(data, options.maxBytesForLimitedReaders ?? MAX_BYTES_FOR_LIMITED_READERS, (roomy) =>
    readPages(data, options, roomy),
  );
}

/**
 * Runs `read` with limited readers, or with roomy ones for a file over `maxBytesForLimited`; when a limited
 * reader runs out of memory, runs it again with roomy ones.
 */
async function withReaderRoom<T>(
  data: Uint8Array,
  maxBytesForLimited: number,
  read: (roomy: boolean) => Promise<T>,
): Promise<T> {
  const large = data.byteLength > maxBytesForLimited;
  try {
    return await read(large);
  } catch (err) {
    if (large || !isReaderOutOfMemory(err)) throw err;
    return read(true);
  }
}

async function readPages(
  data: Uint8Array,
  { onProgress, windowTimeoutMs = WINDOW_TIMEOUT_MS, pool = pdfReaderPool }: PdfReadOptions,
  roomy: boolean,
): Promise<PageText[]> {
  const pages: PageText[] = [];
  const extras: Array<Promise<void>> = [];
  let pageCount: number | undefined;
  let nextFirst = 1;
  let failure: { error: unknown } | undefined;
  const readWith = async (reader: PdfReader, extra: boolean): Promise<void> => {
    let keep = false;
    try {
      while (!failure && (pageCount === undefined || nextFirst <= pageCount)) {
        if (extra && pool.hasWaiting()) {
          readersGivenWay++;
          break;
        }
        const first = nextFirst;
        nextFirst += PAGES_PER_WINDOW;
        const reply = await readWindow(reader, first, first + PAGES_PER_WINDOW - 1, windowTimeoutMs);
        const firstReply = pageCount === undefined;
        pageCount = reply.total;
        pages.push(...reply.pages);
        await onProgress?.({ state: 'reading', pagesRead: pages.length, pageCount: reply.total });
        if (firstReply) startExtras(readerThreadsFor(reply.total, data.byteLength) - 1);
      }
      // A reader goes on to other documents only after reading this one without a fault.
      keep = !failure;
    } catch (error) {
      failure ??= { error };
    } finally {
      pool.release(reader, keep);
    }
  };
  const startExtras = (wanted: number): void => {
    for (let i = 0; i < wanted; i++) {
      const reader = roomy ? pool.tryAcquireRoomy(data) : pool.tryAcquire(data);
      if (!reader) return;
      extras.push(readWith(reader, true));
    }
  };
  let reader = roomy ? pool.tryAcquireRoomy(data) : pool.tryAcquire(data);
  if (!reader) {
    await onProgress?.({ state: 'waiting' });
    reader = roomy ? await pool.acquireRoomy(data) : await pool.acquire(data);
  }
  await readWith(reader, false);
  await Promise.all(extras);
  if (failure) throw failure.error;
  return pages.sort((a, b) => a.num - b.num);
}

/** One window of pages from a reader, its faults as coded errors. */
async function readWindow(
  reader: PdfReader,
  first: number,
  last: number,
  timeoutMs: number,
): Promise<Extract<PdfPageReaderReply, { type: 'pages' }>> {
  const reply = await request(reader, { type: 'read', first, last }, `pages ${first}–${last}`, timeoutMs);
  if (reply.type !== 'pages') throw new Error(`unexpected reply from the PDF reader: ${reply.type}`);
  return reply;
}

async function request(
  reader: PdfReader,
  query: PdfPageReaderQuery,
  what: string,
  timeoutMs = WINDOW_TIMEOUT_MS,
): Promise<PdfPageReaderReply> {
  let reply: PdfPageReaderReply;
  try {
    reply = await reader.request(query, timeoutMs);
  } catch (err) {
    if (err instanceof ReaderTimeoutError) {
      throw new IngestionError(
        'CORRUPT_FILE',
        `The PDF cannot be read: reading its ${what} took longer than ${err.timeoutMs / 1000} s (the file may be damaged).`,
      );
    }
    throw err; // the thread itself broke: not the PDF's fault
  }
  if (reply.type === 'error') throw toPdfError(Object.assign(new Error(reply.message), { name: reply.name }));
  return reply;
}

/** Reader threads worth using for a PDF of this many pages and bytes. */
export function readerThreadsFor(pageCount: number, byteLength: number): number {
  if (byteLength > MAX_BYTES_FOR_EXTRA_READERS) return 1;
  return Math.max(
    1,
    Math.min(MAX_READER_THREADS, Math.ceil(pageCount / (PAGES_PER_WINDOW * WINDOWS_PER_EXTRA_THREAD))),
  );
}

/**
 * How many of the given pages (1-based) paint a picture: pages of a scan do, a PDF of vector drawings
 * does not. Meant for the few PDFs without text; readers chosen as for extractPdfPages (withReaderRoom).
 */
export async function countPagesWithImages(data: Uint8Array, pageNumbers: number[]): Promise<number> {
  return withReaderRoom(data, MAX_BYTES_FOR_LIMITED_READERS, async (roomy) =>
    countPicturePages(roomy ? await pdfReaderPool.acquireRoomy(data) : await pdfReaderPool.acquire(data), pageNumbers),
  );
}

async function countPicturePages(reader: PdfReader, pageNumbers: number[]): Promise<number> {
  let keep = false;
  try {
    const reply = await request(reader, { type: 'images', pageNumbers }, 'pages for pictures');
    if (reply.type !== 'images') throw new Error(`unexpected reply from the PDF reader: ${reply.type}`);
    keep = true;
    return reply.pagesWithImages;
  } finally {
    pdfReaderPool.release(reader, keep);
  }
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
