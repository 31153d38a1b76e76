import * as mammoth from 'mammoth';
import { cleanText } from '../../common/text/clean-text';
import {
  CSV_MIME,
  DOCX_MIME,
  EPUB_MIME,
  HTML_MIME,
  IMAGE_MIMES,
  MARKDOWN_MIME,
  PDF_MIME,
  PPTX_MIME,
  TEXT_MIME,
  TSV_MIME,
  XLSX_MIME,
} from '../../documents/upload/file-type';
import { IngestionError } from '../ingestion-errors';
import { parseEpub } from './epub-document';
import { headingLevel } from './heading-detector';
import { parseHtml } from './html-document';
import { parseImage } from './image-document';
import { OcrContext, OcrOutcome, recognizePagesWithoutText } from './ocr/ocr-step';
import { ParsedDocument, TextBlock } from './parsed-document';
import { cleanPdfPages, meaningfulCharacterCount, meaninglessGlyphCount } from './pdf-text-cleanup';
import { countPagesWithImages, extractPdfPages, PdfReadProgress } from './pdf-text-extractor';
import { parsePptx } from './presentation-document';
import { parseDelimited, parseXlsx } from './spreadsheet-document';
import { decodeText } from './text-decoding';
import { readZipDocument } from './zip-errors';

export { decodeText } from './text-decoding';

/** Below this many letters per page on average (and 20 in all), a PDF has no real text layer. */
const MIN_LETTERS_PER_PAGE = 5;
/** Pages of a text-less PDF looked at for pictures. */
const IMAGE_SAMPLE_PAGES = 3;

export interface ParseOptions {
  /** OCR of pages without text (scans) and of images; without it such files fail with NO_TEXT_LAYER. */
  ocr?: OcrContext;
}

type Parser = (
  data: Buffer,
  onPdfProgress: ((progress: PdfReadProgress) => Promise<void> | void) | undefined,
  options: ParseOptions,
) => Promise<ParsedDocument>;

/** One reader per supported type (see FILE_FORMATS in documents/upload/file-type.ts). */
const PARSERS: Record<string, Parser> = {
  [PDF_MIME]: (data, onPdfProgress, options) => parsePdf(data, onPdfProgress, options),
  [DOCX_MIME]: async (data) => ({ blocks: htmlBlocks(await docxHtml(data)) }),
  [XLSX_MIME]: (data) => parseXlsx(data),
  [PPTX_MIME]: (data) => parsePptx(data),
  [EPUB_MIME]: (data) => parseEpub(data),
  [HTML_MIME]: (data) => parseHtml(data),
  [CSV_MIME]: async (data) => parseDelimited(data, 'csv'),
  [TSV_MIME]: async (data) => parseDelimited(data, 'tsv'),
  [MARKDOWN_MIME]: async (data) => ({ blocks: markdownBlocks(decodeText(data)) }),
  [TEXT_MIME]: async (data) => ({ blocks: plainTextBlocks(decodeText(data)) }),
  ...Object.fromEntries(
    IMAGE_MIMES.map((mime): [string, Parser] => [mime, (data, _, options) => parseImage(data, options.ocr)]),
  ),
};

/**
 * Reads a stored original into headings, paragraphs and tables; coded IngestionErrors for files that cannot
 * be read. Every parser's output is cleaned here, once.
 */
export async function parseDocument(
  data: Buffer,
  mimeType: string,
  onPdfProgress?: (progress: PdfReadProgress) => Promise<void> | void,
  options: ParseOptions = {},
): Promise<ParsedDocument> {
  if (data.length === 0) throw new IngestionError('EMPTY_DOCUMENT', 'The file is empty.');
  const parse = PARSERS[mimeType] ?? PARSERS[TEXT_MIME];
  const parsed = await parse(data, onPdfProgress, options);
  parsed.blocks = cleanBlocks(parsed.blocks);
  if (!parsed.blocks.some((b) => (b.kind === 'paragraph' || b.kind === 'table') && /[\p{L}\p{N}]/u.test(b.text))) {
    throw new IngestionError('EMPTY_DOCUMENT', 'The file contains no text to index.');
  }
  return parsed;
}

/** A PDF's pages; pages without a text layer are recognized by OCR when the knowledge base allows it. */
async function parsePdf(
  data: Buffer,
  onPdfProgress: ((progress: PdfReadProgress) => Promise<void> | void) | undefined,
  options: ParseOptions,
): Promise<ParsedDocument> {
  const extracted = await extractPdfPages(data, { onProgress: onPdfProgress });
  const ocr = await recognizePagesWithoutText(data, extracted, options.ocr);
  await assertPdfHasText(data, ocr);
  return { blocks: cleanPdfPages(ocr.pages), pageCount: ocr.pages.length, searchablePdf: ocr.searchablePdf };
}

/**
 * A PDF with (almost) no letters, even after OCR, is diagnosed, to say truly why it cannot be searched:
 * pages that are pictures (a scan) → NO_TEXT_LAYER, with why OCR did not read them; text drawn in fonts
 * without a Unicode map (only control codes come out, and OCR did not run or read nothing) → UNREADABLE_TEXT;
 * nothing but vector drawings or
 * blank pages → NO_TEXT. A figure with a few real labels is indexed with what it has.
 */
async function assertPdfHasText(
  data: Buffer,
  { pages, searchablePdf, notRecognizedBecause, onlySmallPictures }: OcrOutcome,
) {
  const letters = meaningfulCharacterCount(pages);
  if (letters >= Math.max(20, pages.length * MIN_LETTERS_PER_PAGE)) return;
  const sample = Array.from({ length: Math.min(IMAGE_SAMPLE_PAGES, pages.length) }, (_, i) =>
    Math.round(1 + (i * (pages.length - 1)) / Math.max(1, IMAGE_SAMPLE_PAGES - 1)),
  );
  if ((await countPagesWithImages(data, [...new Set(sample)])) > 0) {
    throw new IngestionError(
      'NO_TEXT_LAYER',
      searchablePdf
        ? 'This PDF has no extractable text, and OCR found none on its pages either (pictures without writing).'
        : onlySmallPictures
          ? 'This PDF has no extractable text: it holds only small pictures (logos, icons), too small to be scanned pages of text, so there is nothing to search.'
          : `This PDF has no extractable text: its pages are pictures (a scan, or images of text). ${
              notRecognizedBecause
                ? `${notRecognizedBecause}.`
                : 'Run it through OCR (e.g. ocrmypdf) and upload the result.'
            }`,
    );
  }
  if (letters > 0) return;
  const glyphs = pages.reduce((sum, page) => sum + page.text.replace(/\s+/g, '').length, 0);
  const meaningless = pages.reduce((sum, page) => sum + meaninglessGlyphCount(page.text), 0);
  if (meaningless > 0 && meaningless * 2 >= glyphs) {
    throw new IngestionError(
      'UNREADABLE_TEXT',
      `This PDF's text cannot be read: its fonts map their letters to no characters (they carry no Unicode map). ${
        searchablePdf
          ? 'OCR of its pages found no text either.'
          : notRecognizedBecause
            ? `${notRecognizedBecause}, so that OCR reads its pages.`
            : 'Export it again with other fonts.'
      }`,
    );
  }
  throw new IngestionError(
    'NO_TEXT',
    'This PDF holds no text, only drawings (vector graphics) or blank pages, so there is nothing to search. If it should have text, export it again with the text kept as text (not converted to outlines).',
  );
}

/**
 * Every parser's output passes here, once: debris that PostgreSQL refuses (U+0000, which some PDF fonts
 * map glyphs to) or that means nothing to a reader is removed, and blocks left empty go.
 */
function cleanBlocks(blocks: TextBlock[]): TextBlock[] {
  const cleaned: TextBlock[] = [];
  for (const block of blocks) {
    const text = cleanText(block.text).trim();
    if (!text) continue;
    if (block.kind !== 'table') {
      cleaned.push(text === block.text ? block : { ...block, text });
      continue;
    }
    const rows = block.rows?.map((r) => ({ ...r, text: cleanText(r.text) })).filter((r) => r.text.trim());
    cleaned.push({ ...block, text, rows, ...(block.sheet !== undefined ? { sheet: cleanText(block.sheet) } : {}) });
  }
  return cleaned;
}

/** Word's heading styles ("heading 1" … "heading 6") come out as <h1>…<h6> in mammoth's HTML. */
async function docxHtml(data: Buffer): Promise<string> {
  // mammoth inflates the archive by itself: prove first that it stays within the ZIP limits.
  await readZipDocument(data, 'Word document', (zip) => zip.verifyAll());
  try {
    return (await mammoth.convertToHtml({ buffer: data })).value;
  } catch (err) {
    throw new IngestionError(
      'CORRUPT_FILE',
      `The Word document is damaged and cannot be read: ${(err as Error).message}`,
    );
  }
}

const HTML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (entity, name: string) => {
    if (name[0] === '#') {
      const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return Number.isFinite(code) && code <= 0x10ffff ? String.fromCodePoint(code) : entity;
    }
    return HTML_ENTITIES[name.toLowerCase()] ?? entity;
  });
}

/**
 * Headings and paragraphs of the simple HTML mammoth writes (h1-h6, p, lists, tables; no scripts or
 * attributes that matter): headings keep their level, table cells of a row join into one line.
 */
export function htmlBlocks(html: string): TextBlock[] {
  const HEADING = '\u0001';
  const text = html
    .replace(/<h([1-6])\b[^>]*>/gi, `\n\n${HEADING}$1`)
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/(h[1-6]|p|li|tr|table|ul|ol)>/gi, '\n\n')
    .replace(/<\/t[dh]>/gi, ' ')
    .replace(/<[^>]*>/g, '');
  return paragraphsOf(decodeEntities(text)).map((paragraph): TextBlock => {
    if (paragraph.startsWith(HEADING)) {
      const title = paragraph.slice(2).replace(/\s+/g, ' ').trim();
      if (title) return { kind: 'heading', text: title, level: Number(paragraph[1]) };
    }
    return { kind: 'paragraph', text: paragraph.replace(new RegExp(HEADING + '\\d', 'g'), '') };
  });
}

function paragraphsOf(text: string): string[] {
  return text
    .replace(/\r\n?/g, '\n')
    .split(/\n[ \t]*\n+/)
    .map((p) => p.replace(/[ \t]+\n/g, '\n').trim())
    .filter(Boolean);
}

/** Paragraphs split on blank lines; a one-line paragraph that looks like "2.1 Title" is a heading. */
export function plainTextBlocks(text: string): TextBlock[] {
  return paragraphsOf(text).map((paragraph) => {
    const level = paragraph.includes('\n') ? 0 : headingLevel(paragraph);
    return level ? { kind: 'heading', text: paragraph, level } : { kind: 'paragraph', text: paragraph };
  });
}

/** ATX and setext headings become headings; fenced code stays one paragraph, blank lines and all. */
export function markdownBlocks(text: string): TextBlock[] {
  const blocks: TextBlock[] = [];
  let paragraph: string[] = [];
  let fence: string | null = null;
  const flush = (): void => {
    const joined = paragraph.join('\n').trim();
    if (joined) blocks.push({ kind: 'paragraph', text: joined });
    paragraph = [];
  };
  for (const line of text.replace(/\r\n?/g, '\n').split('\n')) {
    const fenceMatch = /^\s*(```|~~~)/.exec(line);
    if (fence) {
      paragraph.push(line);
      if (fenceMatch && fenceMatch[1] === fence) {
        fence = null;
        flush();
      }
      continue;
    }
    if (fenceMatch) {
      flush();
      fence = fenceMatch[1];
      paragraph.push(line);
      continue;
    }
    const heading = /^(#{1,6})\s+(.+?)\s*#*\s*$/.exec(line);
    if (heading) {
      flush();
      blocks.push({ kind: 'heading', text: heading[2], level: heading[1].length });
      continue;
    }
    const setext = /^\s*(=+|-+)\s*$/.exec(line);
    if (setext && paragraph.length === 1) {
      blocks.push({ kind: 'heading', text: paragraph[0].trim(), level: setext[1].startsWith('=') ? 1 : 2 });
      paragraph = [];
      continue;
    }
    if (!line.trim()) flush();
    else paragraph.push(line);
  }
  flush();
  return blocks;
}
