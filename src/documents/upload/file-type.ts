import * as path from 'node:path';
import { DomainError } from '../../common/errors/domain-error';
import { escapeInvisible, hasDebris, invisibleCharacterIn } from '../../common/text/clean-text';
import { ZipArchive, ZipArchiveError } from './zip-archive';

export const PDF_MIME = 'application/pdf';
export const DOCX_MIME = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
export const XLSX_MIME = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
export const PPTX_MIME = 'application/vnd.openxmlformats-officedocument.presentationml.presentation';
export const EPUB_MIME = 'application/epub+zip';
export const MARKDOWN_MIME = 'text/markdown';
export const TEXT_MIME = 'text/plain';
export const HTML_MIME = 'text/html';
export const CSV_MIME = 'text/csv';
export const TSV_MIME = 'text/tab-separated-values';
export const PNG_MIME = 'image/png';
export const JPEG_MIME = 'image/jpeg';
export const TIFF_MIME = 'image/tiff';
export const WEBP_MIME = 'image/webp';

/** Images are read by OCR, one page each. */
export const IMAGE_MIMES = [PNG_MIME, JPEG_MIME, TIFF_MIME, WEBP_MIME];

/** Bytes of the head of a file that type detection looks at. */
export const FILE_HEAD_BYTES = 4096;

type Head = Buffer;

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];
const isZip = (head: Head): boolean => startsWith(head, ZIP_MAGIC);
const isPng = (head: Head): boolean => startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const isJpeg = (head: Head): boolean => startsWith(head, [0xff, 0xd8, 0xff]);
const isTiff = (head: Head): boolean =>
  startsWith(head, [0x49, 0x49, 0x2a, 0x00]) || startsWith(head, [0x4d, 0x4d, 0x00, 0x2a]);
const isWebp = (head: Head): boolean =>
  head.subarray(0, 4).toString('latin1') === 'RIFF' && head.subarray(8, 12).toString('latin1') === 'WEBP';
/** pdf.js accepts a header anywhere in the first kilobyte (some generators put junk before it). */
const isPdf = (head: Head): boolean => head.subarray(0, 1024).includes('%PDF-');
const isText = (head: Head): boolean => looksLikeText(head) && !isPdf(head);

interface FileFormat {
  mime: string;
  extensions: string[];
  /** "a PDF", as in "… is not a PDF". */
  name: string;
  matches: (head: Head) => boolean;
  /** ZIP-based formats: a part every such file has, which tells it from the other ZIP-based formats. */
  zipPart?: string;
}

/** Every supported type: extension and content must agree. */
export const FILE_FORMATS: FileFormat[] = [
  { mime: PDF_MIME, extensions: ['.pdf'], name: 'a PDF', matches: isPdf },
  {
    mime: DOCX_MIME,
    extensions: ['.docx'],
    name: 'a Word (.docx) document',
    matches: isZip,
    zipPart: 'word/document.xml',
  },
  {
    mime: XLSX_MIME,
    extensions: ['.xlsx'],
    name: 'an Excel (.xlsx) workbook',
    matches: isZip,
    zipPart: 'xl/workbook.xml',
  },
  {
    mime: PPTX_MIME,
    extensions: ['.pptx'],
    name: 'a PowerPoint (.pptx) presentation',
    matches: isZip,
    zipPart: 'ppt/presentation.xml',
  },
  { mime: EPUB_MIME, extensions: ['.epub'], name: 'an EPUB book', matches: isZip, zipPart: 'META-INF/container.xml' },
  { mime: MARKDOWN_MIME, extensions: ['.md', '.markdown'], name: 'a Markdown text file', matches: isText },
  { mime: TEXT_MIME, extensions: ['.txt', '.text'], name: 'a text file', matches: isText },
  { mime: HTML_MIME, extensions: ['.html', '.htm'], name: 'an HTML page', matches: isText },
  { mime: CSV_MIME, extensions: ['.csv'], name: 'a CSV table', matches: isText },
  { mime: TSV_MIME, extensions: ['.tsv'], name: 'a TSV table', matches: isText },
  { mime: PNG_MIME, extensions: ['.png'], name: 'a PNG image', matches: isPng },
  { mime: JPEG_MIME, extensions: ['.jpg', '.jpeg'], name: 'a JPEG image', matches: isJpeg },
  { mime: TIFF_MIME, extensions: ['.tif', '.tiff'], name: 'a TIFF image', matches: isTiff },
  { mime: WEBP_MIME, extensions: ['.webp'], name: 'a WebP image', matches: isWebp },
];

const KNOWN_BINARIES: Array<{ matches: (head: Head) => boolean; name: string }> = [
  { matches: isZip, name: 'a ZIP archive' },
  { matches: (h) => startsWith(h, [0x50, 0x4b, 0x05, 0x06]), name: 'a ZIP archive' },
  {
    matches: (h) => startsWith(h, [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]),
    name: 'an old Office document (.doc/.xls/.ppt; save it as .docx, .xlsx, .pptx or PDF)',
  },
  { matches: isPng, name: 'a PNG image' },
  { matches: isJpeg, name: 'a JPEG image' },
  { matches: isTiff, name: 'a TIFF image' },
  { matches: isWebp, name: 'a WebP image' },
  { matches: (h) => startsWith(h, [0x47, 0x49, 0x46, 0x38]), name: 'a GIF image' },
  { matches: (h) => startsWith(h, [0x1f, 0x8b]), name: 'a gzip archive' },
  { matches: (h) => startsWith(h, [0x52, 0x61, 0x72, 0x21]), name: 'a RAR archive' },
  { matches: (h) => startsWith(h, [0x37, 0x7a, 0xbc, 0xaf]), name: 'a 7-Zip archive' },
  { matches: (h) => startsWith(h, [0x7f, 0x45, 0x4c, 0x46]), name: 'a program (ELF)' },
  { matches: (h) => startsWith(h, [0x4d, 0x5a]), name: 'a Windows program' },
];

function startsWith(head: Head, magic: number[]): boolean {
  return magic.every((byte, i) => head[i] === byte);
}

function binaryName(head: Head): string | undefined {
  return KNOWN_BINARIES.find((b) => b.matches(head))?.name;
}

function looksLikeText(head: Head): boolean {
  if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)) return true;
  return !head.includes(0) && !binaryName(head);
}

export class UnsupportedFileTypeError extends DomainError {
  constructor(message: string, code = 'UNSUPPORTED_FILE_TYPE') {
    super(code, message, 415);
  }
}

/**
 * Decides a file's type from its first bytes and its extension together; both must agree (see
 * FILE_FORMATS). Throws 415 with a message naming the file otherwise.
 */
export function detectMimeType(filename: string, head: Buffer): string {
  const ext = path.extname(filename).toLowerCase();
  const found = isPdf(head) ? 'a PDF' : (binaryName(head) ?? (looksLikeText(head) ? 'text' : 'binary data'));
  const format = FILE_FORMATS.find((f) => f.extensions.includes(ext));
  if (format) {
    if (format.matches(head)) return format.mime;
    throw new UnsupportedFileTypeError(
      `"${filename}" is not ${format.name}: its content is ${found}. Was it renamed?`,
      'FILE_TYPE_MISMATCH',
    );
  }
  if (ext === '' && isPdf(head)) return PDF_MIME;
  throw new UnsupportedFileTypeError(
    `"${filename}" is not a supported file type. Upload PDF, Word (.docx), Excel (.xlsx), CSV/TSV, PowerPoint (.pptx), EPUB, HTML, Markdown, plain text or image (PNG, JPEG, TIFF, WebP) files.`,
  );
}

/**
 * The checks that need the whole stored file: a ZIP-based upload (.docx, .xlsx, .pptx, .epub) must be a
 * readable archive within ZIP_LIMITS (entries, inflated size: no zip bombs) holding the parts of its
 * format. Reads only the archive's central directory.
 */
export async function checkStoredContent(filename: string, mimeType: string, filePath: string): Promise<void> {
  const format = FILE_FORMATS.find((f) => f.mime === mimeType);
  if (!format?.zipPart) return;
  let zip: ZipArchive;
  try {
    zip = await ZipArchive.open(filePath);
  } catch (err) {
    if (!(err instanceof ZipArchiveError)) throw err;
    if (err.reason === 'too-large') {
      throw new DomainError('ARCHIVE_TOO_LARGE', `"${filename}" was refused: ${err.message}.`, 413);
    }
    throw new DomainError('CORRUPT_FILE', `"${filename}" cannot be read: ${err.message}.`, 400);
  }
  try {
    if (zip.has(format.zipPart)) return;
    const actual = FILE_FORMATS.find((f) => f.zipPart && zip.has(f.zipPart));
    throw new UnsupportedFileTypeError(
      `"${filename}" is not ${format.name}: its content is ${actual ? actual.name : 'a ZIP archive'}. Was it renamed?`,
      'FILE_TYPE_MISMATCH',
    );
  } finally {
    zip.close();
  }
}

/**
 * The user's file name, checked: it is metadata only (never a path), so a name with path separators,
 * control characters, characters that make it display as another name (bidirectional overrides,
 * zero-width characters: "invoice\u202Edm.txt" shows as "invoicetxt.md") or nothing printable is
 * refused rather than silently rewritten.
 */
export function validateFilename(raw: string): string {
  const name = raw.normalize('NFC').trim();
  const invisible = invisibleCharacterIn(name);
  const problem = !name
    ? 'is empty'
    : /[/\\]/.test(name)
      ? 'contains a path separator (/ or \\)'
      : /[\u0000-\u001f\u007f-\u009f]/.test(name) || hasDebris(name)
        ? 'contains control characters'
        : invisible
          ? `contains an invisible character (${invisible}) that makes it display as a different name`
          : name === '.' || name === '..'
            ? 'is not a file name'
            : Buffer.byteLength(name) > 255
              ? 'is longer than 255 bytes'
              : undefined;
  if (problem) {
    const shown = `"${escapeInvisible(name.slice(0, 80))}"`;
    throw new DomainError(
      'INVALID_FILENAME',
      `The file name ${shown} ${problem}; rename the file and upload it again.`,
      400,
    );
  }
  return name;
}
