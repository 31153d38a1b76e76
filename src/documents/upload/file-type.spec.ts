import {
  CSV_MIME,
  DOCX_MIME,
  EPUB_MIME,
  HTML_MIME,
  JPEG_MIME,
  MARKDOWN_MIME,
  PDF_MIME,
  PNG_MIME,
  PPTX_MIME,
  TEXT_MIME,
  TIFF_MIME,
  TSV_MIME,
  WEBP_MIME,
  XLSX_MIME,
  detectMimeType,
  validateFilename,
} from './file-type';

const pdf = Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1');
const zip = Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0, 0, 0]);

describe('detectMimeType', () => {
  it('accepts content that matches the extension', () => {
    expect(detectMimeType('a.pdf', pdf)).toBe(PDF_MIME);
    expect(detectMimeType('a.docx', zip)).toBe(DOCX_MIME);
    expect(detectMimeType('说明.md', Buffer.from('# 标题\n正文'))).toBe(MARKDOWN_MIME);
    expect(detectMimeType('notes.TXT', Buffer.from('hello'))).toBe(TEXT_MIME);
    expect(detectMimeType('scan-without-extension', pdf)).toBe(PDF_MIME);
    expect(detectMimeType('表格.xlsx', zip)).toBe(XLSX_MIME);
    expect(detectMimeType('deck.PPTX', zip)).toBe(PPTX_MIME);
    expect(detectMimeType('book.epub', zip)).toBe(EPUB_MIME);
    expect(detectMimeType('page.htm', Buffer.from('<!doctype html><p>x'))).toBe(HTML_MIME);
    expect(detectMimeType('data.csv', Buffer.from('a,b\n1,2'))).toBe(CSV_MIME);
    expect(detectMimeType('data.tsv', Buffer.from('a\tb'))).toBe(TSV_MIME);
    expect(detectMimeType('scan.png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]))).toBe(PNG_MIME);
    expect(detectMimeType('photo.JPEG', Buffer.from([0xff, 0xd8, 0xff, 0xe0]))).toBe(JPEG_MIME);
    expect(detectMimeType('fax.tif', Buffer.from([0x49, 0x49, 0x2a, 0x00]))).toBe(TIFF_MIME);
    expect(detectMimeType('fax.tiff', Buffer.from([0x4d, 0x4d, 0x00, 0x2a]))).toBe(TIFF_MIME);
    expect(detectMimeType('phone.webp', Buffer.from('RIFF\u0010\u0000\u0000\u0000WEBPVP8 ', 'latin1'))).toBe(WEBP_MIME);
  });

  it('refuses images and tables whose content is something else', () => {
    expect(() => detectMimeType('scan.png', Buffer.from([0xff, 0xd8, 0xff]))).toThrow(
      /not a PNG image: its content is a JPEG image/,
    );
    expect(() => detectMimeType('data.csv', zip)).toThrow(/not a CSV table: its content is a ZIP archive/);
    expect(() => detectMimeType('page.html', pdf)).toThrow(expect.objectContaining({ code: 'FILE_TYPE_MISMATCH' }));
  });

  it('refuses a ZIP renamed to .pdf with 415 and says what it is', () => {
    expect(() => detectMimeType('report.pdf', zip)).toThrow(
      expect.objectContaining({ httpStatus: 415, code: 'FILE_TYPE_MISMATCH' }),
    );
    expect(() => detectMimeType('report.pdf', zip)).toThrow(/ZIP archive/);
  });

  it('refuses unsupported types and binaries posing as text', () => {
    expect(() => detectMimeType('photo.gif', Buffer.from('GIF89a'))).toThrow(
      expect.objectContaining({ httpStatus: 415, code: 'UNSUPPORTED_FILE_TYPE' }),
    );
    expect(() => detectMimeType('a.txt', Buffer.from([0x00, 0x01, 0x02]))).toThrow(
      expect.objectContaining({ httpStatus: 415 }),
    );
    expect(() => detectMimeType('old.doc', Buffer.from([0xd0, 0xcf, 0x11, 0xe0]))).toThrow(
      expect.objectContaining({ httpStatus: 415 }),
    );
  });
});

describe('validateFilename', () => {
  it('keeps ordinary and Chinese names, and emoji sequences', () => {
    expect(validateFilename('R 手册 (2024).pdf')).toBe('R 手册 (2024).pdf');
    expect(validateFilename('👩‍💻 notes.md')).toBe('👩‍💻 notes.md');
  });

  it('names the invisible character and shows the name without letting it reorder the text', () => {
    expect(() => validateFilename('invoice\u202edm.txt')).toThrow(
      'The file name "invoice\\u202Edm.txt" contains an invisible character (U+202E RIGHT-TO-LEFT OVERRIDE)',
    );
  });

  it.each([
    '../../etc/passwd',
    'a\\b.pdf',
    'bad\nname.pdf',
    'nul\u0000.pdf',
    '..',
    '',
    'invoice\u202edm.txt',
    'report\u2067fdp.exe\u2069.pdf',
    'pay\u200bpal.pdf',
    'lone\ud800.pdf',
  ])('refuses %j with 400', (name) => {
    expect(() => validateFilename(name)).toThrow(
      expect.objectContaining({ httpStatus: 400, code: 'INVALID_FILENAME' }),
    );
  });
});
