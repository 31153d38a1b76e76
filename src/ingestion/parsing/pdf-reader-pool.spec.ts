import * as fs from 'node:fs';
import * as path from 'node:path';
import { CORPUS_DIR } from '../../../test/support/corpus-dir';
import { PdfPageReaderReply } from './pdf-page-reader.worker';
import { DOCUMENTS_PER_READER, PdfReader, PdfReaderPool, ReaderTimeoutError } from './pdf-reader-pool';

const corpus = (name: string): Buffer => fs.readFileSync(path.join(CORPUS_DIR, name));
const READ_MS = 60_000;

async function firstPage(reader: PdfReader): Promise<string> {
  const reply = await reader.request({ type: 'read', first: 1, last: 1 }, READ_MS);
  if (reply.type !== 'pages') throw new Error(`unexpected reply ${JSON.stringify(reply)}`);
  return reply.pages[0].text;
}

describe('PdfReaderPool', () => {
  it('reads one document after another on the same thread, each its own text', async () => {
    const pool = new PdfReaderPool(1);
    const texts: string[] = [];
    for (const name of ['R-data.pdf', 'zhlipsum.pdf', 'R-data.pdf']) {
      const reader = await pool.acquire(corpus(name));
      texts.push(await firstPage(reader));
      pool.release(reader);
    }
    expect(texts[0]).toContain('R Data Import/Export');
    expect(texts[1]).toMatch(/\p{Script=Han}/u);
    expect(texts[2]).toBe(texts[0]);
    expect(pool.stats()).toEqual({ threads: 1, started: 1, idle: 1 });
  }, 60_000);

  it("leaves the caller's bytes whole, even when they share a buffer with other data", async () => {
    const pool = new PdfReaderPool(1);
    const pdf = corpus('R-data.pdf');
    const shared = Buffer.concat([Buffer.from('prefix'), pdf]);
    const data = shared.subarray(6);
    const reader = await pool.acquire(data);
    await firstPage(reader);
    pool.release(reader);
    expect(shared.byteLength).toBe(pdf.byteLength + 6);
    expect(data.equals(pdf)).toBe(true);
  }, 60_000);

  it('makes a document wait for a thread when all are lent, and hands it the next one given back', async () => {
    const pool = new PdfReaderPool(1);
    const first = await pool.acquire(corpus('R-data.pdf'));
    let secondLent = false;
    const second = pool.acquire(corpus('zhlipsum.pdf')).then((reader) => {
      secondLent = true;
      return reader;
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(secondLent).toBe(false);
    expect(pool.hasWaiting()).toBe(true);
    expect(pool.tryAcquire(corpus('R-data.pdf'))).toBeUndefined();
    await firstPage(first);
    pool.release(first);
    const reader = await second;
    expect(await firstPage(reader)).toMatch(/\p{Script=Han}/u);
    pool.release(reader);
    expect(pool.stats().started).toBe(1);
  }, 60_000);

  it('replaces a thread that timed out, or that the caller does not want kept, and reads on with a new one', async () => {
    const pool = new PdfReaderPool(1);
    const slow = await pool.acquire(corpus('refman.pdf'));
    await expect(slow.request({ type: 'read', first: 1, last: 400 }, 1)).rejects.toBeInstanceOf(ReaderTimeoutError);
    pool.release(slow);
    const next = await pool.acquire(corpus('R-data.pdf'));
    expect(await firstPage(next)).toContain('R Data Import/Export');
    pool.release(next, false);
    const last = await pool.acquire(corpus('R-data.pdf'));
    expect(await firstPage(last)).toContain('R Data Import/Export');
    pool.release(last);
    expect(pool.stats().started).toBe(3);
  }, 60_000);

  it(`replaces a thread after ${DOCUMENTS_PER_READER} documents`, async () => {
    const pool = new PdfReaderPool(1);
    const data = corpus('R-data.pdf');
    for (let i = 0; i <= DOCUMENTS_PER_READER; i++) pool.release(await pool.acquire(data));
    expect(pool.stats().started).toBe(2);
    const reader = await pool.acquire(data);
    expect(await firstPage(reader)).toContain('R Data Import/Export');
    pool.release(reader);
  }, 60_000);

  it('answers a broken file with an error and goes on reading', async () => {
    const pool = new PdfReaderPool(1);
    const broken = await pool.acquire(Buffer.from('%PDF-1.7\nthis is no PDF\n%%EOF\n'));
    const reply: PdfPageReaderReply = await broken.request({ type: 'read', first: 1, last: 8 }, READ_MS);
    expect(reply.type).toBe('error');
    pool.release(broken);
    const reader = await pool.acquire(corpus('R-data.pdf'));
    expect(await firstPage(reader)).toContain('R Data Import/Export');
    pool.release(reader);
  }, 60_000);

  it('stops a thread left idle', async () => {
    const pool = new PdfReaderPool(2, 100);
    const reader = await pool.acquire(corpus('R-data.pdf'));
    await firstPage(reader);
    pool.release(reader);
    expect(pool.stats()).toMatchObject({ threads: 1, idle: 1 });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(pool.stats()).toMatchObject({ threads: 0, idle: 0 });
  }, 60_000);
});
