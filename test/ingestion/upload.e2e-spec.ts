import * as fs from 'node:fs';
import * as path from 'node:path';
import { startTestApp, TestApp } from '../support/test-app';
import { CORPUS_DIR, IngestionClient } from './support/ingestion-client';
import { docx, drawingOnlyPdf, encryptedPdf, imageOnlyPdf, textPdf, zipArchive } from './support/pdf-fixtures';

describe('Uploading documents', () => {
  let t: TestApp;
  let api: IngestionClient;

  beforeAll(async () => {
    t = await startTestApp({ env: { MAX_UPLOAD_MB: '1' } });
    api = await IngestionClient.signIn(t);
  });
  afterAll(() => t?.close());

  const storedFiles = (): string[] => {
    const dir = path.join(t.config.dataDir, 'uploads');
    return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
  };

  it('ingests text, Markdown and Word files into page-less chunks under their headings', async () => {
    const kb = await api.createKnowledgeBase();
    const word = await docx([
      { heading: 1, text: 'Installation' },
      'Run the installer and follow the steps.',
      { heading: 2, text: '重新启动' },
      '安装完成后重新启动电脑。',
    ]);
    const docs = await api.uploadOk(kb.id, [
      { name: 'notes.txt', data: Buffer.from('Plain notes about vectors.\n\nSecond paragraph here.') },
      {
        name: '说明.md',
        data: Buffer.from('# 知识库\n\n知识库问答把文档切成段落。\n\n## 向量\n\n向量存入 pgvector。'),
      },
      { name: 'guide.docx', data: word },
    ]);
    expect(docs.map((d) => [d.filename, d.status, d.duplicate])).toEqual([
      ['notes.txt', 'queued', false],
      ['说明.md', 'queued', false],
      ['guide.docx', 'queued', false],
    ]);
    const ready = await Promise.all(docs.map((d) => api.waitFor(d.id)));
    expect(ready.map((d) => d.status)).toEqual(['ready', 'ready', 'ready']);

    const md = await api.allChunks(docs[1].id);
    expect(md.map((c) => [c.title, c.content, c.pageFrom])).toEqual([
      ['知识库', '知识库问答把文档切成段落。', null],
      ['知识库 › 向量', '向量存入 pgvector。', null],
    ]);
    const word2 = await api.allChunks(docs[2].id);
    // Word's heading styles become the chunks' heading trail.
    expect(word2.map((c) => [c.title, c.content])).toEqual([
      ['Installation', 'Run the installer and follow the steps.'],
      ['Installation › 重新启动', '安装完成后重新启动电脑。'],
    ]);

    const one = await api.document(docs[0].id);
    expect(one).toMatchObject({
      filename: 'notes.txt',
      mimeType: 'text/plain',
      status: 'ready',
      progress: 100,
      chunkCount: 1,
      error: null,
    });
    expect(one).toHaveProperty('sha256');
  });

  it('returns the existing document for the same bytes, with duplicate: true and no new job', async () => {
    const kb = await api.createKnowledgeBase();
    const data = textPdf([['Duplicate detection works on the bytes, not on the name.']]);
    const [first] = await api.uploadOk(kb.id, [{ name: 'a.pdf', data }]);
    await api.waitFor(first.id);
    const embedsBefore = t.fake.requests.filter((r) => r.route === '/api/embed').length;
    const filesBefore = storedFiles().length;

    const again = await api.uploadOk(kb.id, [{ name: 'renamed.pdf', data }]);
    expect(again).toEqual([expect.objectContaining({ id: first.id, duplicate: true, status: 'ready' })]);
    const list = await api.get(`/api/knowledge-bases/${kb.id}/documents`);
    expect(list.body.total).toBe(1);
    await new Promise((r) => setTimeout(r, 500));
    expect(t.fake.requests.filter((r) => r.route === '/api/embed').length).toBe(embedsBefore);
    expect(storedFiles().length).toBe(filesBefore);
  });

  it('serves the original bytes with a safe Content-Disposition', async () => {
    const kb = await api.createKnowledgeBase();
    const data = Buffer.from('原文 "quoted"; text');
    const [doc] = await api.uploadOk(kb.id, [{ name: '报告 "final"; v2.txt', data }]);
    const res = await api.download(`/api/documents/${doc.id}/file`);
    expect(res.status).toBe(200);
    expect(Buffer.compare(res.body as Buffer, data)).toBe(0);
    expect(res.headers['content-disposition']).toBe(
      `attachment; filename="__ _final__ v2.txt"; filename*=UTF-8''${encodeURIComponent('报告 "final"; v2.txt')}`,
    );
  });

  describe('refuses bad input with a clear 4xx and touches nothing else', () => {
    let kbId: string;
    let goodId: string;

    beforeAll(async () => {
      const kb = await api.createKnowledgeBase();
      kbId = kb.id;
      [{ id: goodId }] = await api.uploadOk(kbId, [
        { name: 'good.txt', data: Buffer.from('A good document that must survive every bad upload.') },
      ]);
      await api.waitFor(goodId);
    });

    afterEach(async () => {
      const list = await api.get(`/api/knowledge-bases/${kbId}/documents`);
      expect(list.body.items.map((d: { id: string; status: string }) => [d.id, d.status])).toEqual([[goodId, 'ready']]);
    });

    it.each([
      [
        'a ZIP renamed to .pdf',
        'report.pdf',
        'zip',
        415,
        'FILE_TYPE_MISMATCH',
        /not a PDF: its content is a ZIP archive/,
      ],
      ['an unsupported type', 'picture.gif', 'gif', 415, 'UNSUPPORTED_FILE_TYPE', /not a supported file type/],
      ['an empty file', 'empty.txt', 'empty', 400, 'EMPTY_FILE', /is empty/],
      ['a name with path separators', '../../etc/passwd.txt', 'text', 400, 'INVALID_FILENAME', /path separator/],
      ['a name with control characters', 'bad\u0007name.txt', 'text', 400, 'INVALID_FILENAME', /control characters/],
      [
        'a name with a right-to-left override ("invoice\\u202Edm.txt" displays as "invoicetxt.md")',
        'invoice\u202edm.txt',
        'text',
        400,
        'INVALID_FILENAME',
        /"invoice\\u202Edm\.txt" contains an invisible character \(U\+202E RIGHT-TO-LEFT OVERRIDE\)/,
      ],
      [
        'a name with an isolate that hides its real extension',
        'report\u2067fdp.exe\u2069.txt',
        'text',
        400,
        'INVALID_FILENAME',
        /U\+2067 RIGHT-TO-LEFT ISOLATE/,
      ],
      [
        'a name with a zero-width space',
        'pay\u200bpal.txt',
        'text',
        400,
        'INVALID_FILENAME',
        /U\+200B ZERO WIDTH SPACE/,
      ],
    ])('%s', async (_what, name, kind, status, code, message) => {
      const before = storedFiles().length;
      const data =
        kind === 'zip'
          ? await zipArchive()
          : kind === 'gif'
            ? Buffer.from('GIF89a\u0001\u0000')
            : kind === 'empty'
              ? Buffer.alloc(0)
              : Buffer.from('text');
      // Sent together with a good file: one bad file refuses the whole upload.
      const res = await api.uploadRaw(kbId, [
        { name: 'other.txt', data: Buffer.from('would be fine alone') },
        { name, data },
      ]);
      expect(res.status).toBe(status);
      expect(res.body).toMatchObject({ statusCode: status, error: code, message: expect.stringMatching(message) });
      expect(storedFiles().length).toBe(before);
    });

    it('a file over MAX_UPLOAD_MB → 413', async () => {
      const before = storedFiles().length;
      const res = await api.upload(kbId, [{ name: 'big.txt', data: Buffer.alloc(1024 * 1024 + 10, 'a') }]);
      expect(res.status).toBe(413);
      expect(res.body).toMatchObject({ error: 'FILE_TOO_LARGE', message: expect.stringContaining('1 MB') });
      expect(storedFiles().length).toBe(before);
    });

    it('more than 50 files → 400', async () => {
      const before = storedFiles().length;
      const files = Array.from({ length: 51 }, (_, i) => ({ name: `f${i}.txt`, data: Buffer.from(`file ${i}`) }));
      const res = await api.upload(kbId, files);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: 'TOO_MANY_FILES', message: expect.stringContaining('50') });
      expect(storedFiles().length).toBe(before);
    });

    it('no files, or files in another field → 400', async () => {
      const none = await api.post(`/api/knowledge-bases/${kbId}/documents`).send({});
      expect(none.status).toBe(400);
      expect(none.body.error).toBe('NO_FILES');
      const wrongField = await api.upload(kbId, [{ name: 'x.txt', data: Buffer.from('x') }], 'file');
      expect(wrongField.status).toBe(400);
      expect(wrongField.body.message).toContain('"files"');
    });

    it('an unknown knowledge base → 404', async () => {
      const res = await api.upload('00000000-0000-4000-8000-000000000000', [{ name: 'x.txt', data: Buffer.from('x') }]);
      expect(res.status).toBe(404);
    });
  });

  describe('documents that cannot be read fail with a coded error, without retries', () => {
    let kbId: string;
    beforeAll(async () => {
      kbId = (await api.createKnowledgeBase()).id;
    });

    it.each([
      [
        'a PDF of small pictures only (logos, icons: no scanned page to read)',
        'logos.pdf',
        () => imageOnlyPdf(2),
        'NO_TEXT_LAYER',
        /no extractable text: it holds only small pictures/,
      ],
      [
        'a PDF of vector drawings only (an exported figure or logo)',
        'figure.pdf',
        () => drawingOnlyPdf(2),
        'NO_TEXT',
        /no text, only drawings/,
      ],
      [
        'an encrypted PDF',
        'secret.pdf',
        () => encryptedPdf(textPdf([['Top secret text.']])),
        'ENCRYPTED_PDF',
        /password/,
      ],
      [
        'a truncated PDF',
        'cut.pdf',
        () => fs.readFileSync(path.join(CORPUS_DIR, 'R-data.pdf')).subarray(0, 150_000),
        'CORRUPT_FILE',
        /damaged/,
      ],
      [
        'a damaged PDF',
        'garbage.pdf',
        () => Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(3000, 'x'), Buffer.from('\n%%EOF\n')]),
        'CORRUPT_FILE',
        /damaged/,
      ],
      ['a text file without text', 'blank.txt', () => Buffer.from('\n\n   \n\t\n'), 'EMPTY_DOCUMENT', /no text/],
    ])('%s', async (_what, name, make, code, message) => {
      const [doc] = await api.uploadOk(kbId, [{ name, data: await make() }]);
      const done = await api.waitFor(doc.id);
      expect(done).toMatchObject({
        status: 'failed',
        chunkCount: 0,
        error: { code, message: expect.stringMatching(message) },
      });
      const chunks = await api.allChunks(doc.id);
      expect(chunks).toEqual([]);
    });
  });
});
