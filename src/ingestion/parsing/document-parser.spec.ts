import { PDF_MIME, PNG_MIME } from '../../documents/upload/file-type';
import { decodeText, htmlBlocks, markdownBlocks, parseDocument, plainTextBlocks } from './document-parser';
import { headingLevel } from './heading-detector';

describe('decodeText', () => {
  it('reads UTF-8, UTF-16 with a BOM, and GB18030 (Chinese text saved on Windows)', () => {
    expect(decodeText(Buffer.from('\ufeff知识库', 'utf8'))).toBe('知识库');
    expect(decodeText(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('知识库', 'utf16le')]))).toBe('知识库');
    // "知识库" in GB18030/GBK.
    expect(decodeText(Buffer.from([0xd6, 0xaa, 0xca, 0xb6, 0xbf, 0xe2]))).toBe('知识库');
  });
});

describe('htmlBlocks (Word documents through mammoth)', () => {
  it('keeps heading levels, paragraphs, list items and table rows, and decodes entities', () => {
    const html =
      '<h1>安装</h1><p>先下载 &amp; 解压。</p><h2>Steps &lt;1&gt;</h2><ul><li>Run it</li><li>Reboot<br />now</li></ul>' +
      '<table><tr><td><p>key</p></td><td><p>value</p></td></tr></table><p>&#20013;&#x6587; done</p>';
    expect(htmlBlocks(html)).toEqual([
      { kind: 'heading', text: '安装', level: 1 },
      { kind: 'paragraph', text: '先下载 & 解压。' },
      { kind: 'heading', text: 'Steps <1>', level: 2 },
      { kind: 'paragraph', text: 'Run it' },
      { kind: 'paragraph', text: 'Reboot\nnow' },
      { kind: 'paragraph', text: 'key' },
      { kind: 'paragraph', text: 'value' },
      { kind: 'paragraph', text: '中文 done' },
    ]);
  });
});

describe('markdownBlocks', () => {
  it('turns ATX and setext headings into headings and keeps fenced code whole', () => {
    const blocks = markdownBlocks('Title\n=====\n\nIntro.\n\n## Code\n\n```r\nx <- 1\n\ny <- 2\n```\n\nAfter.');
    expect(blocks).toEqual([
      { kind: 'heading', text: 'Title', level: 1 },
      { kind: 'paragraph', text: 'Intro.' },
      { kind: 'heading', text: 'Code', level: 2 },
      { kind: 'paragraph', text: '```r\nx <- 1\n\ny <- 2\n```' },
      { kind: 'paragraph', text: 'After.' },
    ]);
  });
});

describe('plainTextBlocks', () => {
  it('splits paragraphs on blank lines and recognises numbered headings', () => {
    expect(plainTextBlocks('1 Introduction\n\nSome text\nwrapped.\r\n\r\n2.1 Details\n\nMore.')).toEqual([
      { kind: 'heading', text: '1 Introduction', level: 1 },
      { kind: 'paragraph', text: 'Some text\nwrapped.' },
      { kind: 'heading', text: '2.1 Details', level: 2 },
      { kind: 'paragraph', text: 'More.' },
    ]);
  });
});

describe('headingLevel', () => {
  it.each([
    ['2 Simple manipulations; numbers and vectors', 1],
    ['5.4.1 Mixed vector and array arithmetic', 3],
    ['1.4.1 tlmgr 本身无法成功升级', 3],
    ['第四章 插图', 1],
    ['第 6 节 实现细节', 2],
    ['Appendix A A sample session', 1],
  ])('%s → level %i', (line, level) => expect(headingLevel(line)).toBe(level));

  it.each([
    '4 of unlimited length.',
    '18 C:/texlive/2022',
    '7 Detected platform: Windows',
    '2 Ubuntu 20.04 系统 14',
    '1.1 The R environment . . . . . 2',
    '4 There is NO warranty. Redistribution of this software is',
  ])('%s is not a heading', (line) => expect(headingLevel(line)).toBe(0));
});

describe('parseDocument without OCR', () => {
  const scan = (): Buffer => Buffer.from(imageOnlyPdfForUnitTests(), 'latin1');
  const recognizer = (unavailable?: string) => ({
    recognize: async (): Promise<never> => {
      throw new Error('must not be called');
    },
    unavailableReason: async () => unavailable,
  });

  it('NO_TEXT_LAYER says how to install OCR when the tools are missing', async () => {
    const problem = 'OCR is not installed on the worker: install the OCR tools (`npm run ocr:install`)';
    await expect(
      parseDocument(scan(), PDF_MIME, undefined, {
        ocr: { mode: 'auto', languages: ['eng'], recognizer: recognizer(problem) },
      }),
    ).rejects.toMatchObject({ code: 'NO_TEXT_LAYER', message: expect.stringContaining('npm run ocr:install') });
  });

  it('NO_TEXT_LAYER says how to turn OCR on when the knowledge base has it off, for PDFs and images', async () => {
    const ocr = { mode: 'off' as const, languages: ['eng'], recognizer: recognizer() };
    await expect(parseDocument(scan(), PDF_MIME, undefined, { ocr })).rejects.toMatchObject({
      code: 'NO_TEXT_LAYER',
      message: expect.stringMatching(
        /no extractable text: its pages are pictures.*OCR is turned off for this knowledge base: set its OCR setting to "auto"/,
      ),
    });
    await expect(
      parseDocument(Buffer.from([0x89, 0x50, 0x4e, 0x47]), PNG_MIME, undefined, { ocr }),
    ).rejects.toMatchObject({
      code: 'NO_TEXT_LAYER',
      message: expect.stringContaining('OCR is turned off'),
    });
  });
});

/** A one-page PDF whose page is only a grey image (no text at all), large enough to count as a picture. */
function imageOnlyPdfForUnitTests(): string {
  const side = 48;
  const image = '\xff'.repeat(side * side);
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [4 0 R] /Count 1 >>',
    `<< /Type /XObject /Subtype /Image /Width ${side} /Height ${side} /ColorSpace /DeviceGray /BitsPerComponent 8 /Length ${image.length} >>\nstream\n${image}\nendstream`,
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /Im1 3 0 R >> >> /Contents 5 0 R >>',
    '<< /Length 30 >>\nstream\nq 500 0 0 700 56 46 cm /Im1 Do Q\nendstream',
  ];
  let body = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(body.length);
    body += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = body.length;
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  return `${body}trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
}
