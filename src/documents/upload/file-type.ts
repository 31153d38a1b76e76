import * as path from 'node:path';
import { DomainError } from '../../common/errors/domain-error';
import { escapeInvisible, hasDebris, invisibleCharacterIn } from '../../common/text/clean-text';

export const PDF_MIME = 'application/pdf';
export const DOCX_MIME = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
export const MARKDOWN_MIME = 'text/markdown';
export const TEXT_MIME = 'text/plain';

export const SUPPORTED_EXTENSIONS = ['.pdf', '.docx', '.md', '.markdown', '.txt', '.text'];

/** Bytes of the head of a file that type detection looks at. */
export const FILE_HEAD_BYTES = 4096;

const KNOWN_BINARIES: Array<{ magic: number[]; name: string }> = [
  { magic: [0x50, 0x4b, 0x03, 0x04], name: 'a ZIP archive' },
  { magic: [0x50, 0x4b, 0x05, 0x06], name: 'a ZIP archive' },
  {
    magic: [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1],
    name: 'an old Office document (.doc/.xls; save it as .docx or PDF)',
  },
  { magic: [0x89, 0x50, 0x4e, 0x47], name: 'a PNG image' },
  { magic: [0xff, 0xd8, 0xff], name: 'a JPEG image' },
  { magic: [0x47, 0x49, 0x46, 0x38], name: 'a GIF image' },
  { magic: [0x1f, 0x8b], name: 'a gzip archive' },
  { magic: [0x52, 0x61, 0x72, 0x21], name: 'a RAR archive' },
  { magic: [0x37, 0x7a, 0xbc, 0xaf], name: 'a 7-Zip archive' },
  { magic: [0x7f, 0x45, 0x4c, 0x46], name: 'a program (ELF)' },
  { magic: [0x4d, 0x5a], name: 'a Windows program' },
];

function startsWith(head: Buffer, magic: number[]): boolean {
  return magic.every((byte, i) => head[i] === byte);
}

/** pdf.js accepts a header anywhere in the first kilobyte (some generators put junk before it). */
function isPdf(head: Buffer): boolean {
  return head.subarray(0, 1024).includes('%PDF-');
}

function binaryName(head: Buffer): string | undefined {
  return KNOWN_BINARIES.find((b) => startsWith(head, b.magic))?.name;
}

function looksLikeText(head: Buffer): boolean {
  if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)) return true;
  return !head.includes(0) && !binaryName(head);
}

export class UnsupportedFileTypeError extends DomainError {
  constructor(message: string, code = 'UNSUPPORTED_FILE_TYPE') {
    super(code, message, 415);
  }
}

/**
 * Decides a file's type from its first bytes and its extension together; both must agree. Supported:
 * PDF, DOCX, Markdown and plain text. Throws 415 with a message naming the file otherwise.
 */
export function detectMimeType(filename: string, head: Buffer): string {
  const ext = path.extname(filename).toLowerCase();
  const found = isPdf(head) ? 'a PDF' : (binaryName(head) ?? (looksLikeText(head) ? 'text' : 'binary data'));
  const mismatch = (expected: string): never => {
    throw new UnsupportedFileTypeError(
      `"${filename}" is not ${expected}: its content is ${found}. Was it renamed?`,
      'FILE_TYPE_MISMATCH',
    );
  };
  switch (ext) {
    case '.pdf':
      return isPdf(head) ? PDF_MIME : mismatch('a PDF');
    case '.docx':
      return startsWith(head, [0x50, 0x4b, 0x03, 0x04]) ? DOCX_MIME : mismatch('a Word (.docx) document');
    case '.md':
    case '.markdown':
      return looksLikeText(head) && !isPdf(head) ? MARKDOWN_MIME : mismatch('a Markdown text file');
    case '.txt':
    case '.text':
      return looksLikeText(head) && !isPdf(head) ? TEXT_MIME : mismatch('a text file');
    case '':
      if (isPdf(head)) return PDF_MIME;
      break;
  }
  throw new UnsupportedFileTypeError(
    `"${filename}" is not a supported file type. Upload PDF, Word (.docx), Markdown (.md) or plain text (.txt) files.`,
  );
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
