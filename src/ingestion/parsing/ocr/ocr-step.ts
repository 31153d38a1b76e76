import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { IngestionError } from '../../ingestion-errors';
import { meaninglessGlyphCount, PageText } from '../pdf-text-cleanup';
import { OCR_INSTALL_HINT } from './ocr-tools';
import { OcrProgress, pageRanges, PageRecognizer } from './page-recognizer.service';

const run = promisify(execFile);

/** Letters and digits a page needs to count as having usable text; fewer (a stamped page number) is a scan. */
export const MIN_PAGE_LETTERS = 10;
/** Pixels of the largest picture on a page without text for it to be a scan worth OCR (a blank page has none). */
const MIN_SCAN_PIXELS = 100_000;
/** More separate runs of pages than this are listed in one pdfimages pass over their whole span. */
const MAX_PDFIMAGES_CALLS = 20;
/** Of the document's own text around the scanned pages, what OCR is shown to tell the document's script. */
const TEXT_BESIDE_CHARS = 20_000;

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
  /** The pages without text show only pictures too small to be scans (logos, icons): OCR was not run. */
  onlySmallPictures?: boolean;
}

const HANZI_GAP =
  /([\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]) +(?=[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef])/gu;

/**
 * Tesseract's Chinese models put a space between characters (it writes each as a "word"); Chinese is
 * written without spaces, so between two CJK characters (or CJK punctuation) of recognized text they go.
 */
export function withoutSpacesBetweenHanzi(text: string): string {
  return text.replace(HANZI_GAP, '$1');
}

/** 1-based numbers of the pages with (almost) no text of their own. */
export function pagesWithoutText(pages: PageText[]): number[] {
  return pages.filter((p) => (p.text.match(/[\p{L}\p{N}]/gu)?.length ?? 0) < MIN_PAGE_LETTERS).map((p) => p.num);
}

/**
 * Among `pages` (numbers of pages without usable text), those whose text is drawn in fonts without a Unicode
 * map: the glyphs are there (OCR reads them off the drawn page) but come out as control codes.
 */
export function pagesWithUnreadableText(pages: PageText[], numbers: number[]): number[] {
  const byNumber = new Map(pages.map((p) => [p.num, p.text]));
  return numbers.filter((n) => meaninglessGlyphCount(byNumber.get(n) ?? '') >= MIN_PAGE_LETTERS);
}

/**
 * Recognizes the pages of a PDF that have no usable text — scanned pages, and pages whose fonts map their
 * letters to no characters — and only those (a mixed PDF keeps its own text everywhere else). When only some
 * pages need it, those pages are taken out into a small PDF (qpdf), recognized, and put back in their places,
 * so OCR's work grows with the scanned pages, not with the document (a 2,000-page manual with two blank
 * pages costs two pages). Page numbers stay the original's.
 */
export async function recognizePagesWithoutText(
  pdf: Buffer,
  pages: PageText[],
  ocr: OcrContext | undefined,
  /** Images: every page is a picture to read, however small. */
  allPictures = false,
): Promise<OcrOutcome> {
  const withoutText = pagesWithoutText(pages);
  if (!withoutText.length) return { pages };
  const reason = await whyNotRecognized(ocr);
  if (reason || !ocr) return { pages, notRecognizedBecause: reason };
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'zhiku-pages-'));
  try {
    const original = path.join(dir, 'original.pdf');
    await fs.promises.writeFile(original, pdf);
    const unreadable = new Set(pagesWithUnreadableText(pages, withoutText));
    const scanned = allPictures
      ? withoutText
      : await pagesWithScans(
          original,
          withoutText.filter((n) => !unreadable.has(n)),
        );
    const missing = [...new Set([...scanned, ...unreadable])].sort((a, b) => a - b);
    if (!missing.length) return { pages, onlySmallPictures: true };
    const whole = missing.length === pages.length;
    const part = whole ? pdf : await selectPages(original, missing, path.join(dir, 'part.pdf'));
    const { pdf: recognizedPart, texts } = await ocr.recognizer.recognize({
      pdf: part,
      pages: missing.map((_, i) => i + 1),
      languages: ocr.languages,
      textBeside: textBeside(pages, new Set(missing)),
      onProgress: ocr.onProgress,
      signal: ocr.signal,
    });
    // Page i of the recognized part is page missing[i - 1] of the document; its text is Tesseract's, written
    // beside the text layer (the same words), so the new PDF is not read through again.
    const recognized = new Map(missing.map((page, i) => [page, withoutSpacesBetweenHanzi(texts.get(i + 1) ?? '')]));
    const searchablePdf = whole
      ? recognizedPart
      : await replacePages(original, recognizedPart, missing, pages.length, path.join(dir, 'searchable.pdf'));
    return {
      pages: pages.map((p) => (recognized.has(p.num) ? { num: p.num, text: recognized.get(p.num) ?? p.text } : p)),
      searchablePdf,
    };
  } finally {
    await fs.promises.rm(dir, { recursive: true, force: true });
  }
}

/** The text of the pages not being recognized, up to TEXT_BESIDE_CHARS (a long manual is not joined whole). */
function textBeside(pages: PageText[], recognizing: Set<number>): string {
  let text = '';
  for (const page of pages) {
    if (text.length >= TEXT_BESIDE_CHARS) break;
    if (!recognizing.has(page.num)) text += `${page.text}\n`;
  }
  return text.slice(0, TEXT_BESIDE_CHARS);
}

/**
 * The pages among `pages` that show a picture big enough to be a scan (poppler's pdfimages lists them),
 * read over the runs of those pages only, so a long document is not read through for a few blank pages.
 */
async function pagesWithScans(file: string, pages: number[]): Promise<number[]> {
  if (!pages.length) return [];
  const runs = pageRanges(pages)
    .split(',')
    .map((range) => range.split('-').map(Number));
  const spans = runs.length > MAX_PDFIMAGES_CALLS ? [[runs[0][0], runs[runs.length - 1].at(-1)!]] : runs;
  const pictured = new Set<number>();
  for (const span of spans) {
    let listing: string;
    try {
      const first = String(span[0]);
      const last = String(span.at(-1));
      listing = (await run('pdfimages', ['-list', '-f', first, '-l', last, file], { maxBuffer: 64 * 1024 * 1024 }))
        .stdout;
    } catch {
      return pages; // cannot tell: let OCR look at every page without text
    }
    for (const line of listing.split('\n').slice(2)) {
      const [page, , type, width, height] = line.trim().split(/\s+/);
      if (type === 'image' && Number(width) * Number(height) >= MIN_SCAN_PIXELS) pictured.add(Number(page));
    }
  }
  return pages.filter((page) => pictured.has(page));
}

/** The given pages of a PDF as a PDF of their own (qpdf). */
async function selectPages(original: string, pages: number[], output: string): Promise<Buffer> {
  await qpdf(['--empty', '--pages', original, pageRanges(pages), '--', output]);
  return fs.promises.readFile(output);
}

/** The original with its pages `pages` replaced, in order, by the pages of `replacement` (qpdf). */
async function replacePages(
  original: string,
  replacement: Buffer,
  pages: number[],
  pageCount: number,
  output: string,
): Promise<Buffer> {
  const replacementFile = `${output}.part.pdf`;
  await fs.promises.writeFile(replacementFile, replacement);
  const index = new Map(pages.map((page, i) => [page, i + 1]));
  // Runs of pages from one file or the other: "original 1-4, part 1, original 6-9, part 2-3, …".
  const sequence: string[] = [];
  for (let page = 1; page <= pageCount;) {
    const fromPart = index.has(page);
    let last = page;
    while (last + 1 <= pageCount && index.has(last + 1) === fromPart) last++;
    sequence.push(
      fromPart ? replacementFile : original,
      fromPart ? `${index.get(page)}-${index.get(last)}` : `${page}-${last}`,
    );
    page = last + 1;
  }
  await qpdf([original, '--pages', ...sequence, '--', output]);
  return fs.promises.readFile(output);
}

async function qpdf(args: string[]): Promise<void> {
  try {
    // Exit code 3: done, with warnings about the input (common in real PDFs).
    await run('qpdf', ['--warning-exit-0', ...args], { timeout: 300_000, maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new IngestionError('OCR_FAILED', `qpdf is not installed on the worker: ${OCR_INSTALL_HINT}.`);
    }
    throw new IngestionError('OCR_FAILED', `Taking the scanned pages out of the PDF failed: ${(err as Error).message}`);
  }
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
