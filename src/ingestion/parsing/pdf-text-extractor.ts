import * as path from 'node:path';
import { PDFParse, PasswordException } from 'pdf-parse';
import { IngestionError } from '../ingestion-errors';
import { PageText } from './pdf-text-cleanup';

/** pdf.js's bundled character maps: without them Chinese PDFs with non-embedded fonts give no text. */
const CMAP_URL = path.join(path.dirname(require.resolve('pdfjs-dist/package.json')), 'cmaps') + path.sep;
const STANDARD_FONT_URL =
  path.join(path.dirname(require.resolve('pdfjs-dist/package.json')), 'standard_fonts') + path.sep;
/**
 * Pages read per getText call. pdf.js's in-process worker runs on promise chains that starve the event
 * loop until a call returns, so windows stay small and each is followed by a macrotask yield: with 100
 * pages a window, an API sharing the process (ROLE=all) stalled for seconds and its requests timed out.
 */
const PAGES_PER_WINDOW = 2;

export interface PdfReadProgress {
  pagesRead: number;
  pageCount: number;
}

/**
 * Reads the text of every page of a PDF with pdf-parse, a window of pages at a time (pdf.js frees
 * each page after reading it). Maps pdf.js failures to coded errors: ENCRYPTED_PDF, CORRUPT_FILE.
 * `onProgress` may return a promise (e.g. a database write) and may throw to stop early.
 */
export async function extractPdfPages(
  data: Uint8Array,
  onProgress?: (progress: PdfReadProgress) => Promise<void> | void,
): Promise<PageText[]> {
  assertNotTruncated(data);
  const parser = new PDFParse({
    data,
    cMapUrl: CMAP_URL,
    cMapPacked: true,
    standardFontDataUrl: STANDARD_FONT_URL,
    verbosity: 0,
  });
  try {
    const pages: PageText[] = [];
    // The first window also tells the page count (getInfo would parse the outline too: slow on big manuals).
    let pageCount = PAGES_PER_WINDOW;
    for (let first = 1; first <= pageCount; first += PAGES_PER_WINDOW) {
      const last = first + PAGES_PER_WINDOW - 1;
      try {
        const result = await parser.getText({ first, last, pageJoiner: '', cellSeparator: ' ' });
        pageCount = result.total;
        for (const page of result.pages) pages.push({ num: page.num, text: page.text });
      } catch (err) {
        throw toPdfError(err);
      }
      await onProgress?.({ pagesRead: Math.min(last, pageCount), pageCount });
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return pages;
  } finally {
    await parser.destroy().catch(() => undefined);
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
  if (err instanceof PasswordException || (err as Error)?.name === 'PasswordException') {
    return new IngestionError(
      'ENCRYPTED_PDF',
      'The PDF is password-protected; remove the password (e.g. print to a new PDF) and upload it again.',
    );
  }
  const message = err instanceof Error ? err.message : String(err);
  return new IngestionError('CORRUPT_FILE', `The PDF is damaged and cannot be read: ${message}`);
}
