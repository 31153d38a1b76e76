import * as fs from 'node:fs';
import * as path from 'node:path';
import { startTestApp, TestApp } from '../support/test-app';
import {
  countriesTsv,
  countriesWorkbook,
  epubBook,
  presentation,
  unpaperPageWithFurniture,
  zipBomb,
  zipWithManyParts,
  zonesCsv,
} from './support/format-fixtures';
import { ChunkBody, DocumentBody, IngestionClient } from './support/ingestion-client';
import { docx } from './support/pdf-fixtures';

/**
 * HTML, spreadsheets, slides and EPUB through the real API, worker and database: each becomes ready
 * with its heading trail and a location citations can show, and malformed or hostile files are refused
 * at upload or fail with a code.
 */
describe('Office and web formats', () => {
  let t: TestApp;
  let api: IngestionClient;
  let kbId: string;

  beforeAll(async () => {
    t = await startTestApp();
    api = await IngestionClient.signIn(t);
    kbId = (await api.createKnowledgeBase({ name: '格式 formats', chunkSize: 200, chunkOverlap: 0 })).id;
  });
  afterAll(() => t?.close());

  const ingest = async (name: string, data: Buffer): Promise<{ doc: DocumentBody; chunks: ChunkBody[] }> => {
    const [uploaded] = await api.uploadOk(kbId, [{ name, data }]);
    const doc = await api.waitFor(uploaded.id);
    return { doc, chunks: await api.allChunks(uploaded.id) };
  };
  const storedFiles = (): string[] => {
    const dir = path.join(t.config.dataDir, 'uploads');
    return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
  };

  it("an HTML page (Debian's unpaper manual in a site frame) keeps its main content and headings, without navigation, scripts and styles", async () => {
    const { doc, chunks } = await ingest('file-formats.html', unpaperPageWithFurniture());
    expect(doc).toMatchObject({ status: 'ready', mimeType: 'text/html' });
    const all = chunks.map((c) => `${c.title}\n${c.content}`).join('\n');
    for (const furniture of [
      'Home navigation link',
      'analytics-script-text',
      'menu-secret-style',
      'Footer copyright',
    ]) {
      expect(all).not.toContain(furniture);
    }
    const titles = chunks.map((c) => c.title);
    expect(titles).toEqual(
      expect.arrayContaining([expect.stringMatching(/File Formats.* › Input Formats › PNM Family$/)]),
    );
    // Links are kept as their text.
    expect(all).toContain('ffmpeg');
  });

  it("a TSV and a CSV table (tzdata's country and zone tables) become chunks of rows, each under the header, cited by rows", async () => {
    const tsv = await ingest('countries.tsv', countriesTsv());
    expect(tsv.doc.status).toBe('ready');
    expect(tsv.chunks.length).toBeGreaterThan(3);
    for (const chunk of tsv.chunks) {
      expect(chunk.content.startsWith('| code | country |\n| --- | --- |\n')).toBe(true);
      expect(chunk.location).toMatchObject({ kind: 'rows', from: expect.any(Number), to: expect.any(Number) });
    }
    const china = tsv.chunks.find((c) => c.content.includes('| CN | China |'))!;
    expect(china).toBeDefined();
    const rows = china.content.split('\n').slice(2);
    const cnRow = china.location!.from + rows.findIndex((r) => r === '| CN | China |');
    const lines = countriesTsv().toString('utf8').split('\n');
    expect(lines[cnRow - 1]).toBe('CN\tChina');

    const csv = await ingest('zones.csv', zonesCsv());
    expect(csv.doc.status).toBe('ready');
    // A quoted cell with commas stays one cell.
    expect(csv.chunks.map((c) => c.content).join('\n')).toMatch(/\| AE,OM,RE,SC,TF \| \+2518\+05518 \| Asia\/Dubai \|/);

    const res = await api
      .post(`/api/knowledge-bases/${kbId}/search`)
      .send({ query: 'Asia/Shanghai', mode: 'keyword', topK: 3 });
    expect(res.body.results[0]).toMatchObject({ documentId: csv.doc.id, location: { kind: 'rows' } });
    expect(res.body.results[0].content).toContain('| countries | coordinates | zone | comments |');
  });

  it('an Excel workbook (written by exceljs) gives each sheet as a heading and its rows as tables, cited by sheet and rows', async () => {
    const { doc, chunks } = await ingest('countries.xlsx', await countriesWorkbook());
    expect(doc.status).toBe('ready');
    const sheets = new Set(chunks.map((c) => c.title));
    expect(sheets).toEqual(new Set(['国家 Countries', 'Zones']));
    const countries = chunks.filter((c) => c.title === '国家 Countries');
    expect(countries[0].content.startsWith('| 代码 code | 名称 name |\n| --- | --- |\n| AD | Andorra |')).toBe(true);
    expect(countries[0].location).toEqual({ kind: 'rows', sheet: '国家 Countries', from: 2, to: expect.any(Number) });
    // Rows follow on: every row of the sheet is in exactly one chunk.
    for (let i = 1; i < countries.length; i++)
      expect(countries[i].location!.from).toBe(countries[i - 1].location!.to + 1);
    // A formula cell shows its result.
    expect(chunks.map((c) => c.content).join('\n')).toContain(
      '| CN | +3114+12128 | Asia/Shanghai | Beijing Time | 13 |',
    );
  });

  it("a PowerPoint presentation gives one page per slide, in the presentation's order, with titles, text and notes", async () => {
    const pptx = await presentation([
      {
        title: '知识库简介',
        body: ['知识库问答把文档切成段落。', 'Passages are embedded with bge-m3.'],
        notes: '讲者备注：先演示上传。',
      },
      { title: 'Search', body: ['Hybrid search fuses vector and keyword results.'] },
      { title: 'Answers', body: ['Citations point to the slide they came from.'] },
    ]);
    const { doc, chunks } = await ingest('deck.pptx', pptx);
    expect(doc).toMatchObject({ status: 'ready', pageCount: 3 });
    // The fixture lists its slides in reverse file order: the presentation's order decides.
    expect(chunks.map((c) => [c.title, c.location])).toEqual([
      ['Answers', { kind: 'slide', from: 1, to: 1 }],
      ['Search', { kind: 'slide', from: 2, to: 2 }],
      ['知识库简介', { kind: 'slide', from: 3, to: 3 }],
    ]);
    expect(chunks[2].content).toBe(
      '知识库问答把文档切成段落。\nPassages are embedded with bge-m3.\n\n讲者备注：先演示上传。',
    );
    // Slide numbers (a placeholder on every slide) are not content.
    expect(chunks[0].content).toBe('Citations point to the slide they came from.');
  });

  it('an EPUB book gives its chapters as headings, in reading order, cited by chapter', async () => {
    const book = await epubBook('知库手册', [
      {
        file: 'z-intro.xhtml',
        title: '第一章 简介',
        html: '<h1>第一章 简介</h1><p>知库是一个自托管的知识库问答服务。</p><h2>1.1 安装</h2><p>运行 <code>npm ci</code> 安装依赖。</p>',
      },
      { file: 'a-search.xhtml', title: '第二章 检索', html: '<p>混合检索融合向量和关键词两路结果。</p>' },
    ]);
    const { doc, chunks } = await ingest('手册.epub', book);
    expect(doc).toMatchObject({ status: 'ready', pageCount: 2 });
    expect(chunks.map((c) => [c.title, c.content, c.location])).toEqual([
      ['第一章 简介', '知库是一个自托管的知识库问答服务。', { kind: 'chapter', from: 1, to: 1 }],
      ['第一章 简介 › 1.1 安装', '运行 npm ci 安装依赖。', { kind: 'chapter', from: 1, to: 1 }],
      ['第二章 检索', '混合检索融合向量和关键词两路结果。', { kind: 'chapter', from: 2, to: 2 }],
    ]);
  });

  describe('malformed and hostile files', () => {
    it.each([
      [
        'a zip bomb posing as .xlsx (one part inflating a thousandfold to 50 MB)',
        'bomb.xlsx',
        () => zipBomb('xl/workbook.xml', 50),
        413,
        'ARCHIVE_TOO_LARGE',
        /inflates/,
      ],
      [
        'a .docx with 20,000 parts',
        'many.docx',
        () => zipWithManyParts('word/document.xml', 20_000),
        413,
        'ARCHIVE_TOO_LARGE',
        /parts; at most 10000 are accepted/,
      ],
      [
        'a Word document renamed to .pptx',
        'renamed.pptx',
        () => docx(['Hello']),
        415,
        'FILE_TYPE_MISMATCH',
        /is not a PowerPoint .* its content is a Word/,
      ],
      [
        'a truncated .epub',
        'cut.epub',
        async () => (await epubBook('x', [{ file: 'a.xhtml', title: 'a', html: '<p>text</p>' }])).subarray(0, 300),
        400,
        'CORRUPT_FILE',
        /damaged/,
      ],
      [
        'a PDF renamed to .xlsx',
        'report.xlsx',
        async () => Buffer.from('%PDF-1.4\n%%EOF\n'),
        415,
        'FILE_TYPE_MISMATCH',
        /not an Excel/,
      ],
      [
        'a GIF image',
        'picture.gif',
        async () => Buffer.from('GIF89a\u0001\u0000'),
        415,
        'UNSUPPORTED_FILE_TYPE',
        /not a supported file type/,
      ],
    ])('%s is refused at upload, nothing stored', async (_what, name, make, status, code, message) => {
      const before = storedFiles().length;
      const res = await api.upload(kbId, [{ name, data: await make() }]);
      expect(res.status).toBe(status);
      expect(res.body).toMatchObject({ statusCode: status, error: code, message: expect.stringMatching(message) });
      expect(storedFiles().length).toBe(before);
    });

    it.each([
      [
        'a CSV with an unclosed quote',
        'broken.csv',
        async () => Buffer.from('name,comment\nA,"never closed\nB,x\n'),
        'CORRUPT_FILE',
        /cannot be read as a table/,
      ],
      [
        'a workbook whose sheet XML is garbage',
        'garbage.xlsx',
        () => brokenWorkbook(),
        'CORRUPT_FILE',
        /Excel workbook is damaged/,
      ],
      ['a presentation without slides', 'empty.pptx', () => presentation([]), 'EMPTY_DOCUMENT', /no text/],
      [
        'an HTML page of scripts only',
        'scripts.html',
        async () =>
          Buffer.from('<html><head><script>var a = 1;</script></head><body><script>b()</script></body></html>'),
        'EMPTY_DOCUMENT',
        /no text/,
      ],
    ])('%s fails with a code', async (_what, name, make, code, message) => {
      const { doc, chunks } = await ingest(name, await make());
      expect(doc).toMatchObject({ status: 'failed', error: { code, message: expect.stringMatching(message) } });
      expect(chunks).toEqual([]);
    });
  });
});

/** A real workbook with its first sheet's XML replaced by bytes that are not XML. */
async function brokenWorkbook(): Promise<Buffer> {
  const JSZip = require('jszip') as {
    loadAsync(data: Buffer): Promise<{
      file(name: string, data: string): void;
      generateAsync(o: { type: 'nodebuffer'; compression: 'DEFLATE' }): Promise<Buffer>;
    }>;
  };
  const zip = await JSZip.loadAsync(await countriesWorkbook());
  zip.file('xl/worksheets/sheet1.xml', '<worksheet><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row><row');
  return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
}
