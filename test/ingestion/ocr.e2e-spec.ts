import * as path from 'node:path';
import { startTestApp, TestApp } from '../support/test-app';
import { characterAccuracy, comparable, pdfPageText } from './support/character-accuracy';
import { openEventStream } from './support/event-stream';
import { joinPdfs, pageImage, scannedPdf } from './support/format-fixtures';
import { ChunkBody, CORPUS_DIR, DocumentBody, IngestionClient } from './support/ingestion-client';
import { pdfWithUnicodeMap, textPdf } from './support/pdf-fixtures';

const OCR_TIMEOUT_MS = 300_000;
/** Character accuracy the recognized text of a print-quality scan must reach against the original's text layer. */
const MIN_ACCURACY = 0.9;
const corpus = (name: string): string => path.join(CORPUS_DIR, name);

/** Page i of the searchable copy holds the text of `originalPages[i - 1]` of the corpus PDF, at MIN_ACCURACY at least. */
function expectAccurateCopy(copy: Buffer, source: string, originalPages: number[]): void {
  originalPages.forEach((original, i) => {
    const accuracy = characterAccuracy(pdfPageText(corpus(source), original), pdfPageText(copy, i + 1));
    expect({ source, page: original, accuracy: accuracy >= MIN_ACCURACY ? 'enough' : accuracy }).toEqual({
      source,
      page: original,
      accuracy: 'enough',
    });
  });
}

/**
 * Scanned PDFs and images through the real API, worker, Tesseract, poppler and qpdf (installed by `npm run
 * ocr:install`), fake Ollama and PostgreSQL. The scans are made here from corpus pages (pdftoppm →
 * img2pdf), so the original's text layer is the reference the recognized text is measured against.
 */
describe('OCR of scanned PDFs and images', () => {
  let t: TestApp;
  let api: IngestionClient;
  let kbId: string;

  beforeAll(async () => {
    t = await startTestApp();
    api = await IngestionClient.signIn(t);
    kbId = (await api.createKnowledgeBase({ name: '扫描件 scans' })).id;
  });
  afterAll(() => t?.close());

  const ingest = async (name: string, data: Buffer, kb = kbId): Promise<{ doc: DocumentBody; chunks: ChunkBody[] }> => {
    const [uploaded] = await api.uploadOk(kb, [{ name, data }]);
    const doc = await api.waitFor(uploaded.id, undefined, OCR_TIMEOUT_MS);
    return { doc, chunks: await api.allChunks(uploaded.id) };
  };
  const searchableCopy = async (documentId: string): Promise<Buffer> => {
    const res = await api.download(`/api/documents/${documentId}/file?copy=searchable`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toContain('application/pdf');
    return res.body as Buffer;
  };
  const keywordSearch = async (
    query: string,
  ): Promise<Array<{ documentId: string; pageFrom: number; content: string }>> => {
    const res = await api.post(`/api/knowledge-bases/${kbId}/search`).send({ query, mode: 'keyword', topK: 5 });
    expect(res.status).toBe(200);
    return res.body.results;
  };

  it(
    'a scanned English PDF becomes ready and searchable by its words, on the right pages, with "OCR page i of n" progress',
    async () => {
      const events = await openEventStream(`${t.url}/api/knowledge-bases/${kbId}/events`, api.headers);
      try {
        const { doc, chunks } = await ingest('R-intro scanned.pdf', scannedPdf('R-intro.pdf', [10, 11]));
        expect(doc).toMatchObject({ status: 'ready', pageCount: 2, error: null });
        const details = events.events
          .filter((e) => e.event === 'document.updated' && e.data.document?.id === doc.id)
          .map((e) => e.data.document.statusDetail);
        expect(details).toEqual(expect.arrayContaining(['OCR page 1 of 2', 'OCR page 2 of 2']));

        expect(new Set(chunks.map((c) => c.pageFrom))).toEqual(new Set([1, 2]));
        const page2 = chunks
          .filter((c) => c.pageFrom === 2)
          .map((c) => c.content)
          .join(' ');
        expect(comparable(page2)).toContain(comparable('R commands, case sensitivity, etc.'));

        // Searchable by words that are only on the scan's second page, and cited on that page.
        const [hit] = await keywordSearch('case sensitive expression language');
        expect(hit).toMatchObject({ documentId: doc.id, pageFrom: 2 });

        // The stored searchable copy: its text layer (what a PDF viewer selects) matches the original's.
        expectAccurateCopy(await searchableCopy(doc.id), 'R-intro.pdf', [10, 11]);
      } finally {
        events.close();
      }
    },
    OCR_TIMEOUT_MS,
  );

  it(
    'a scanned Chinese PDF becomes ready and searchable by its words, on the right pages',
    async () => {
      const { doc, chunks } = await ingest('安装指南 扫描.pdf', scannedPdf('install-latex-guide-zh-cn.pdf', [43, 44]));
      expect(doc).toMatchObject({ status: 'ready', pageCount: 2 });
      const text = (page: number): string =>
        comparable(
          chunks
            .filter((c) => c.pageFrom === page)
            .map((c) => c.content)
            .join(''),
        );
      // Chinese text is joined without the spaces Tesseract puts between characters.
      expect(chunks.every((c) => !/[\u4e00-\u9fff] [\u4e00-\u9fff] [\u4e00-\u9fff]/u.test(c.content))).toBe(true);
      expect(text(1)).toContain(comparable('Overleaf 提供了包括中文在内的多种语言供用户使用'));
      const [hit] = await keywordSearch('首屈一指 在线 编辑平台');
      expect(hit).toMatchObject({ documentId: doc.id, pageFrom: 1 });

      expectAccurateCopy(await searchableCopy(doc.id), 'install-latex-guide-zh-cn.pdf', [43, 44]);
    },
    OCR_TIMEOUT_MS,
  );

  it(
    'a mixed PDF: only the page without text is recognized, the others keep their own text and page numbers',
    async () => {
      const mixed = joinPdfs([
        { source: 'R-data.pdf', page: 5 },
        { data: scannedPdf('R-intro.pdf', [10]) },
        { source: 'R-data.pdf', page: 6 },
      ]);
      const { doc, chunks } = await ingest('mixed.pdf', mixed);
      expect(doc).toMatchObject({ status: 'ready', pageCount: 3 });
      const covered = new Set(chunks.flatMap((c) => [c.pageFrom, c.pageTo]));
      expect(covered).toEqual(new Set([1, 2, 3]));
      const scanned = chunks
        .filter((c) => c.pageFrom === 2 || c.pageTo === 2)
        .map((c) => c.content)
        .join(' ');
      expect(comparable(scanned)).toContain(comparable('Data which is saved will be available in future R sessions.'));
      const copy = await searchableCopy(doc.id);
      // Text pages are left exactly as they were (not rasterized, not read again).
      expect(comparable(pdfPageText(copy, 1))).toBe(comparable(pdfPageText(corpus('R-data.pdf'), 5)));
      expect(comparable(pdfPageText(copy, 3))).toBe(comparable(pdfPageText(corpus('R-data.pdf'), 6)));
      expect(characterAccuracy(pdfPageText(corpus('R-intro.pdf'), 10), pdfPageText(copy, 2))).toBeGreaterThanOrEqual(
        MIN_ACCURACY,
      );
    },
    OCR_TIMEOUT_MS,
  );

  it(
    'a scan of English pages then a Chinese one: each page is read in its own language (chi_sim+eng)',
    async () => {
      // English pages go on with eng once the first turns out Latin-only; the Chinese page, read poorly by
      // eng, is read again with the Chinese script model.
      const scan = joinPdfs([
        { data: scannedPdf('R-intro.pdf', [10, 11, 12]) },
        { data: scannedPdf('install-latex-guide-zh-cn.pdf', [43]) },
      ]);
      const { doc } = await ingest('english then chinese.pdf', scan);
      expect(doc).toMatchObject({ status: 'ready', pageCount: 4 });
      const copy = await searchableCopy(doc.id);
      expectAccurateCopy(copy, 'R-intro.pdf', [10, 11, 12]);
      const chinese = characterAccuracy(pdfPageText(corpus('install-latex-guide-zh-cn.pdf'), 43), pdfPageText(copy, 4));
      expect(chinese).toBeGreaterThanOrEqual(MIN_ACCURACY);
    },
    OCR_TIMEOUT_MS,
  );

  it('a text PDF with a blank page is not sent to OCR (no picture to read there)', async () => {
    const withBlank = joinPdfs([
      { source: 'R-data.pdf', page: 5 },
      { data: textPdf([[]]) },
      { source: 'R-data.pdf', page: 6 },
    ]);
    const { doc } = await ingest('with-blank.pdf', withBlank);
    expect(doc).toMatchObject({ status: 'ready', pageCount: 3 });
    // No searchable copy was made: the original comes back.
    expect(Buffer.compare(await searchableCopy(doc.id), withBlank)).toBe(0);
  });

  it(
    'pages scanned sideways or upside down are read and turned upright, and a 150-dpi scan is read too',
    async () => {
      for (const rotate of [90, 180]) {
        const turned = await ingest(`turned-${rotate}.pdf`, scannedPdf('R-intro.pdf', [11], { rotate }));
        expect(turned.doc.status).toBe('ready');
        expect(comparable(turned.chunks.map((c) => c.content).join(' '))).toContain(
          comparable('R commands, case sensitivity, etc.'),
        );
        // The searchable copy stands upright, so its text reads line by line in the PDF viewer.
        expectAccurateCopy(await searchableCopy(turned.doc.id), 'R-intro.pdf', [11]);
      }
      const lowResolution = await ingest('150dpi.pdf', scannedPdf('R-intro.pdf', [10], { dpi: 150 }));
      expect(lowResolution.doc.status).toBe('ready');
      expectAccurateCopy(await searchableCopy(lowResolution.doc.id), 'R-intro.pdf', [10]);
    },
    OCR_TIMEOUT_MS,
  );

  it(
    'PNG, JPEG, TIFF and WebP images upload as documents of one page each, read by OCR one document at a time',
    async () => {
      const png = pageImage('R-intro.pdf', 11, 200);
      const { execFileSync } = await import('node:child_process');
      // The same page in the other formats, converted by Python's PIL (a dependency of img2pdf).
      const convert = (format: string): Buffer =>
        execFileSync(
          '/usr/bin/python3',
          [
            '-c',
            `import sys, io\nfrom PIL import Image\nim = Image.open(io.BytesIO(sys.stdin.buffer.read()))\nout = io.BytesIO()\nim.save(out, "${format}", dpi=(200, 200))\nsys.stdout.buffer.write(out.getvalue())`,
          ],
          { input: png, maxBuffer: 64 * 1024 * 1024 },
        );
      const files = [
        { name: 'page.png', data: png },
        { name: 'page.jpg', data: convert('JPEG') },
        { name: 'page.tiff', data: convert('TIFF') },
        { name: 'page.webp', data: convert('WEBP') },
      ];
      const events = await openEventStream(`${t.url}/api/knowledge-bases/${kbId}/events`, api.headers);
      const uploaded = await api.uploadOk(kbId, files);
      for (const u of uploaded) {
        const doc = await api.waitFor(u.id, undefined, OCR_TIMEOUT_MS);
        expect(doc).toMatchObject({ status: 'ready', pageCount: 1 });
        const chunks = await api.allChunks(u.id);
        expect(chunks.every((c) => c.pageFrom === 1)).toBe(true);
        expect(comparable(chunks.map((c) => c.content).join(' '))).toContain(
          comparable('R commands, case sensitivity, etc.'),
        );
        // The original image is kept as uploaded; the searchable copy is a PDF.
        expect((await searchableCopy(u.id)).subarray(0, 5).toString('latin1')).toBe('%PDF-');
      }
      events.close();
      // Two documents are parsed at once (INGESTION_CONCURRENCY), but OCR runs one at a time: the other waits.
      const details = events.events.map((e) => e.data.document?.statusDetail);
      expect(details).toContain('Waiting for OCR (another document is being recognized)');
    },
    OCR_TIMEOUT_MS,
  );

  it('reads text drawn in fonts that map their letters to no characters by OCR (and says how, with OCR off)', async () => {
    // As some logo and title-page PDFs are: the glyphs are drawn, but the font's Unicode map gives control codes.
    const unmapped = () =>
      pdfWithUnicodeMap(['Kobenhavns Universitet', 'Det Naturvidenskabelige Fakultet'], (code) =>
        code > 0x20 ? (code % 29) + 1 : code,
      );
    const { doc, chunks } = await ingest('logo-text.pdf', unmapped());
    expect(doc).toMatchObject({ status: 'ready', pageCount: 1 });
    expect(comparable(chunks.map((c) => c.content).join(' '))).toContain(comparable('Kobenhavns Universitet'));

    const off = (await api.createKnowledgeBase({ settings: { ocr: 'off' } })).id;
    const refused = await ingest('logo-text.pdf', unmapped(), off);
    expect(refused.doc).toMatchObject({
      status: 'failed',
      error: {
        code: 'UNREADABLE_TEXT',
        message: expect.stringMatching(/fonts map their letters to no characters.*OCR is turned off/),
      },
    });
  });

  it('a knowledge base with OCR off refuses scans with NO_TEXT_LAYER saying how to turn it on', async () => {
    const off = (await api.createKnowledgeBase({ settings: { ocr: 'off' } })).id;
    const { doc } = await ingest('scan.pdf', scannedPdf('R-intro.pdf', [10], { dpi: 100 }), off);
    expect(doc).toMatchObject({
      status: 'failed',
      error: {
        code: 'NO_TEXT_LAYER',
        message: expect.stringMatching(/OCR is turned off for this knowledge base.*"auto"/),
      },
    });
    const image = await ingest('page.png', pageImage('R-intro.pdf', 10, 100), off);
    expect(image.doc.error?.code).toBe('NO_TEXT_LAYER');
  });

  it('OCR languages are validated as Tesseract codes, and a language that is not installed fails the document with OCR_FAILED', async () => {
    const bad = await api
      .post('/api/knowledge-bases')
      .send({ name: 'bad langs', settings: { ocrLanguages: ['chinese!'] } });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body.message)).toContain('Tesseract language codes');
    const klingon = (await api.createKnowledgeBase({ settings: { ocrLanguages: ['tlh'] } })).id;
    const { doc } = await ingest('scan.pdf', scannedPdf('R-intro.pdf', [10], { dpi: 100 }), klingon);
    expect(doc).toMatchObject({
      status: 'failed',
      error: { code: 'OCR_FAILED', message: expect.stringContaining('tlh') },
    });
  });
});
