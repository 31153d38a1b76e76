import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { deflateSync } from 'node:zlib';

/** Writes a PDF from its objects (1-based, object 1 = catalog) with a correct cross-reference table. */
function buildPdf(objects: Array<string | Buffer>): Buffer {
  const parts: Buffer[] = [Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  const offsets: number[] = [];
  let length = parts[0].length;
  objects.forEach((body, i) => {
    offsets.push(length);
    const part = Buffer.concat([
      Buffer.from(`${i + 1} 0 obj\n`),
      Buffer.isBuffer(body) ? body : Buffer.from(body, 'latin1'),
      Buffer.from('\nendobj\n'),
    ]);
    parts.push(part);
    length += part.length;
  });
  const xref =
    `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n` +
    offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('') +
    `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${length}\n%%EOF\n`;
  parts.push(Buffer.from(xref, 'latin1'));
  return Buffer.concat(parts);
}

function stream(dict: string, data: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from(`<< ${dict} /Length ${data.length} >>\nstream\n`, 'latin1'),
    data,
    Buffer.from('\nendstream', 'latin1'),
  ]);
}

/** A small text PDF: one page per entry, each line of text shown with Helvetica. */
export function textPdf(pages: string[][]): Buffer {
  const pageCount = pages.length;
  // 1 catalog, 2 pages, 3 font, then per page: page object and its content stream.
  const kids = pages.map((_, i) => `${4 + i * 2} 0 R`).join(' ');
  const objects: Array<string | Buffer> = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    `<< /Type /Pages /Kids [${kids}] /Count ${pageCount} >>`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  pages.forEach((lines, i) => {
    const ops = lines
      .map((line, j) => `BT /F1 11 Tf 72 ${740 - j * 14} Td (${line.replace(/[()\\]/g, '\\$&')}) Tj ET`)
      .join('\n');
    objects.push(
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents ${5 + i * 2} 0 R >>`,
    );
    objects.push(stream('', Buffer.from(ops, 'latin1')));
  });
  return buildPdf(objects);
}

/** A ToUnicode CMap giving each one-byte code the code point `unicodeOf(code)`. */
function toUnicodeCmap(unicodeOf: (code: number) => number): Buffer {
  const hex = (n: number, width: number): string => n.toString(16).toUpperCase().padStart(width, '0');
  const entries = Array.from({ length: 256 }, (_, code) => `<${hex(code, 2)}> <${hex(unicodeOf(code), 4)}>`);
  const blocks: string[] = [];
  for (let i = 0; i < entries.length; i += 100) {
    const part = entries.slice(i, i + 100);
    blocks.push(`${part.length} beginbfchar\n${part.join('\n')}\nendbfchar`);
  }
  return Buffer.from(
    '/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n' +
      '/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n' +
      '/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n' +
      '1 begincodespacerange\n<00> <FF>\nendcodespacerange\n' +
      blocks.join('\n') +
      '\nendcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n',
    'latin1',
  );
}

/**
 * A one-page text PDF whose font says through its ToUnicode map what each byte of a line means: by
 * default the byte's own code point, so a line's \u0000 comes out of the PDF as U+0000, which is what
 * TeX's math and symbol fonts without a Unicode map give (the minus sign of cmsy is code 0). Lines are
 * strings of one-byte codes (latin1).
 */
export function pdfWithUnicodeMap(lines: string[], unicodeOf: (code: number) => number = (code) => code): Buffer {
  const ops = lines
    .map((line, j) => {
      const escaped = [...Buffer.from(line, 'latin1')]
        .map((byte) =>
          byte < 0x20 || byte > 0x7e || byte === 0x28 || byte === 0x29 || byte === 0x5c
            ? `\\${byte.toString(8).padStart(3, '0')}`
            : String.fromCharCode(byte),
        )
        .join('');
      return `BT /F1 11 Tf 72 ${740 - j * 14} Td (${escaped}) Tj ET`;
    })
    .join('\n');
  return buildPdf([
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [4 0 R] /Count 1 >>',
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /ToUnicode 6 0 R >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents 5 0 R >>',
    stream('', Buffer.from(ops, 'latin1')),
    stream('', toUnicodeCmap(unicodeOf)),
  ]);
}

/** A PDF of vector drawings only (lines, rectangles, curves): no text, no images, like an exported figure or logo. */
export function drawingOnlyPdf(pageCount = 1): Buffer {
  const kids = Array.from({ length: pageCount }, (_, i) => `${3 + i * 2} 0 R`).join(' ');
  const objects: Array<string | Buffer> = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    `<< /Type /Pages /Kids [${kids}] /Count ${pageCount} >>`,
  ];
  for (let i = 0; i < pageCount; i++) {
    objects.push(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents ${4 + i * 2} 0 R >>`);
    objects.push(
      stream(
        '',
        Buffer.from(
          '2 w 72 72 m 540 720 l S 0.2 0.4 0.8 rg 100 400 200 150 re f 300 300 m 350 450 450 450 500 300 c S',
          'latin1',
        ),
      ),
    );
  }
  return buildPdf(objects);
}

/** A "scanned" PDF: every page is only an image, with no text layer at all. */
export function imageOnlyPdf(pageCount = 2): Buffer {
  const width = 64;
  const height = 64;
  const pixels = Buffer.alloc(width * height);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 7) % 256;
  const kids = Array.from({ length: pageCount }, (_, i) => `${4 + i * 2} 0 R`).join(' ');
  const objects: Array<string | Buffer> = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    `<< /Type /Pages /Kids [${kids}] /Count ${pageCount} >>`,
    stream(
      `/Type /XObject /Subtype /Image /Width ${width} /Height ${height} /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode`,
      deflateSync(pixels),
    ),
  ];
  for (let i = 0; i < pageCount; i++) {
    objects.push(
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /Im1 3 0 R >> >> /Contents ${5 + i * 2} 0 R >>`,
    );
    objects.push(stream('', Buffer.from('q 500 0 0 700 56 46 cm /Im1 Do Q', 'latin1')));
  }
  return buildPdf(objects);
}

/** The same PDF encrypted with a user password (AES-256), made by Debian's `qpdf` (installed by .ci/run). */
export function encryptedPdf(plain: Buffer): Buffer {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zhiku-pdf-'));
  try {
    fs.writeFileSync(path.join(dir, 'in.pdf'), plain);
    execFileSync('qpdf', [
      '--encrypt',
      'user-secret',
      'owner-secret',
      '256',
      '--',
      path.join(dir, 'in.pdf'),
      path.join(dir, 'out.pdf'),
    ]);
    return fs.readFileSync(path.join(dir, 'out.pdf'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A minimal .docx (Office Open XML) built with jszip (mammoth's own zip library): strings are paragraphs,
 * `{ heading, text }` a paragraph in Word's "heading N" style.
 */
export async function docx(paragraphs: Array<string | { heading: number; text: string }>): Promise<Buffer> {
  const JSZip = require('jszip') as new () => {
    file(name: string, data: string): void;
    generateAsync(opts: { type: 'nodebuffer' }): Promise<Buffer>;
  };
  const zip = new JSZip();
  const escape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const xml = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>';
  const w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"';
  zip.file(
    '[Content_Types].xml',
    `${xml}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/></Types>`,
  );
  zip.file(
    '_rels/.rels',
    `${xml}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`,
  );
  zip.file(
    'word/_rels/document.xml.rels',
    `${xml}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>`,
  );
  const levels = [1, 2, 3, 4, 5, 6];
  zip.file(
    'word/styles.xml',
    `${xml}<w:styles ${w}>` +
      levels
        .map((n) => `<w:style w:type="paragraph" w:styleId="Heading${n}"><w:name w:val="heading ${n}"/></w:style>`)
        .join('') +
      '</w:styles>',
  );
  const paragraph = (p: string | { heading: number; text: string }): string => {
    const style = typeof p === 'string' ? '' : `<w:pPr><w:pStyle w:val="Heading${p.heading}"/></w:pPr>`;
    const text = typeof p === 'string' ? p : p.text;
    return `<w:p>${style}<w:r><w:t xml:space="preserve">${escape(text)}</w:t></w:r></w:p>`;
  };
  zip.file(
    'word/document.xml',
    `${xml}<w:document ${w}><w:body>${paragraphs.map(paragraph).join('')}</w:body></w:document>`,
  );
  return zip.generateAsync({ type: 'nodebuffer' });
}

/** A ZIP archive (any), e.g. to rename it to .pdf. */
export async function zipArchive(): Promise<Buffer> {
  const JSZip = require('jszip') as new () => {
    file(name: string, data: string): void;
    generateAsync(opts: { type: 'nodebuffer' }): Promise<Buffer>;
  };
  const zip = new JSZip();
  zip.file('readme.txt', 'not a pdf');
  return zip.generateAsync({ type: 'nodebuffer' });
}
