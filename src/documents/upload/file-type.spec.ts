import { DOCX_MIME, MARKDOWN_MIME, PDF_MIME, TEXT_MIME, detectMimeType, validateFilename } from './file-type';

const pdf = Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1');
const zip = Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0, 0, 0]);

describe('detectMimeType', () => {
  it('accepts content that matches the extension', () => {
    expect(detectMimeType('a.pdf', pdf)).toBe(PDF_MIME);
    expect(detectMimeType('a.docx', zip)).toBe(DOCX_MIME);
    expect(detectMimeType('说明.md', Buffer.from('# 标题\n正文'))).toBe(MARKDOWN_MIME);
    expect(detectMimeType('notes.TXT', Buffer.from('hello'))).toBe(TEXT_MIME);
    expect(detectMimeType('scan-without-extension', pdf)).toBe(PDF_MIME);
  });

  it('refuses a ZIP renamed to .pdf with 415 and says what it is', () => {
    expect(() => detectMimeType('report.pdf', zip)).toThrow(
      expect.objectContaining({ httpStatus: 415, code: 'FILE_TYPE_MISMATCH' }),
    );
    expect(() => detectMimeType('report.pdf', zip)).toThrow(/ZIP archive/);
  });

  it('refuses unsupported types and binaries posing as text', () => {
    expect(() => detectMimeType('photo.png', Buffer.from([0x89, 0x50, 0x4e, 0x47]))).toThrow(
      expect.objectContaining({ httpStatus: 415 }),
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
