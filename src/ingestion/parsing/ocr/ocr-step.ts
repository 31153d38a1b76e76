import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { IngestionError } from '../../ingestion-errors';
import { PageText } from '../pdf-text-cleanup';
import { extractPdfPages } from '../pdf-text-extractor';
import { OCR_INSTALL_HINT } from './ocr-tools';
import type { OcrProgress, PageRecognizer } from './page-recognizer.service';

const run = promisify(execFile);

/** Letters and digits a page needs to count as having usable text; fewer (a stamped page number) is a scan. */
export const MIN_PAGE_LETTERS = 10;

/** How a document's pages without text are recognized: the knowledge base's choice and the worker's tools. */
export interface OcrContext {
  /** The knowledge base's setting: 'auto' recognizes pages without text, 'off' never does. */
  mode: 'auto' | 'off';
  languages: string[];
  recognizer: Pick<PageRecognizer, 'recognize' | 'unavailableReason'>;
  onProgress?: (progress: OcrProgress) => Promise<void> | void;
  signal?: AbortSignal;
}

export interface OcrOutcome {
  pages: PageText[];
  /** The PDF with the recognized text layer, when OCR ran. */
  searchablePdf?: Buffer;
  /** Why pages without text were not recognized (OCR off or not installed), in words for the user. */
  notRecognizedBecause?: string;
}

/** 1-based numbers of the pages with (almost) no text of their own. */
export function pagesWithoutText(pages: PageText[]): number[] {
  return pages.filter((p) => (p.text.match(/[\p{L}\p{N}]/gu)?.length ?? 0) < MIN_PAGE_LETTERS).map((p) => p.num);
}

/**
 * Recognizes the pages of a PDF that have no usable text, and only those (a mixed PDF keeps its own text
 * everywhere else); their text is then read from the searchable copy, so page numbers stay those of
 * the original.
 */
export async function recognizePagesWithoutText(
  pdf: Buffer,
  pages: PageText[],
  ocr: OcrContext | undefined,
): Promise<OcrOutcome> {
  const missing = pagesWithoutText(pages);
  if (!missing.length) return { pages };
  const reason = await whyNotRecognized(ocr);
  if (reason || !ocr) return { pages, notRecognizedBecause: reason };
  const searchablePdf = await ocr.recognizer.recognize({
    pdf,
    pages: missing,
    languages: ocr.languages,
    onProgress: ocr.onProgress,
    signal: ocr.signal,
  });
  const recognized = new Map((await extractPdfPages(searchablePdf)).map((p) => [p.num, p.text]));
  const wanted = new Set(missing);
  return {
    pages: pages.map((p) => (wanted.has(p.num) ? { num: p.num, text: recognized.get(p.num) ?? p.text } : p)),
    searchablePdf,
  };
}

/** An image (PNG, JPEG, TIFF, WebP) as a PDF with one page per image frame, by Debian's img2pdf (lossless). */
export async function imageToPdf(image: Buffer): Promise<Buffer> {
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'zhiku-image-'));
  try {
    const input = path.join(dir, 'image');
    const output = path.join(dir, 'image.pdf');
    await fs.promises.writeFile(input, image);
    try {
      await run('img2pdf', [input, '-o', output], { timeout: 120_000 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new IngestionError(
          'NO_TEXT_LAYER',
          `Images are read by OCR, which is not installed on the worker: ${OCR_INSTALL_HINT}.`,
        );
      }
      const stderr = String((err as { stderr?: string }).stderr ?? '')
        .trim()
        .split('\n')
        .pop();
      throw new IngestionError(
        'CORRUPT_FILE',
        `The image is damaged and cannot be read: ${stderr || (err as Error).message}`,
      );
    }
    return await fs.promises.readFile(output);
  } finally {
    await fs.promises.rm(dir, { recursive: true, force: true });
  }
}

/** Why OCR will not run for this document, or undefined when it will. */
export async function whyNotRecognized(ocr: OcrContext | undefined): Promise<string | undefined> {
  if (!ocr) return `OCR is not available here: ${OCR_INSTALL_HINT}`;
  if (ocr.mode === 'off') {
    return 'OCR is turned off for this knowledge base: set its OCR setting to "auto" (settings.ocr) and re-index the document';
  }
  return ocr.recognizer.unavailableReason();
}
