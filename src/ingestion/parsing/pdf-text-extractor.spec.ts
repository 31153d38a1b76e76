import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CORPUS_DIR } from '../../../test/support/corpus-dir';
import { PdfReader, PdfReaderPool, pdfReaderPool } from './pdf-reader-pool';
import {
  extractPdfPages,
  MAX_BYTES_FOR_EXTRA_READERS,
  PdfReadProgress,
  readerThreadsFor,
  readerThreads,
} from './pdf-text-extractor';

describe('readerThreadsFor', () => {
  it('reads a long PDF with two threads and a short one with one', () => {
    expect(readerThreadsFor(2415, 6_500_000)).toBe(Math.min(2, os.availableParallelism()));
    expect(readerThreadsFor(41, 300_000)).toBe(1);
  });

  it('reads a large file with one thread, since every reader thread holds its own copy of the file', () => {
    expect(readerThreadsFor(2415, MAX_BYTES_FOR_EXTRA_READERS + 1)).toBe(1);
    expect(readerThreadsFor(100_000, 100 * 1024 * 1024)).toBe(1);
  });
});

describe('extractPdfPages', () => {
  const corpus = (name: string): Uint8Array => new Uint8Array(fs.readFileSync(path.join(CORPUS_DIR, name)));

  it('reads PDFs side by side as each alone, an extra reader giving way to the other PDF', async () => {
    const alone = await extractPdfPages(corpus('R-intro.pdf'));
    const shortAlone = await extractPdfPages(corpus('R-data.pdf'));
    const givenWayBefore = readerThreads().givenWay;
    let windows = 0;
    let others: Promise<unknown> | undefined;
    const long = extractPdfPages(corpus('R-intro.pdf'), {
      onProgress: () => {
        // After its first window the long PDF has its extra reader; then two more PDFs start beside it.
        if (++windows === 2) {
          others = Promise.all([extractPdfPages(corpus('R-data.pdf')), extractPdfPages(corpus('R-data.pdf'))]);
        }
      },
    });
    const [longPages, [short1, short2]] = (await Promise.all([long, long.then(() => others!)])) as [
      Awaited<typeof long>,
      [typeof shortAlone, typeof shortAlone],
    ];
    expect(longPages).toEqual(alone);
    expect(short1).toEqual(shortAlone);
    expect(short2).toEqual(shortAlone);
    // The long PDF's extra reader gave way to the short ones waiting, and no more threads than the pool's.
    expect(readerThreads().givenWay).toBe(givenWayBefore + 1);
    expect(readerThreads().threads).toBeLessThanOrEqual(os.availableParallelism());
  }, 60_000);

  it('fails a PDF whose pages are not read in time with CORRUPT_FILE naming them, and reads the next PDF', async () => {
    const slow = extractPdfPages(corpus('refman.pdf'), { windowTimeoutMs: 1 });
    await expect(slow).rejects.toMatchObject({ code: 'CORRUPT_FILE', message: expect.stringContaining('pages 1–8') });
    const pages = await extractPdfPages(corpus('R-data.pdf'));
    expect(pages[0].text).toContain('R Data Import/Export');
  }, 60_000);

  it('says a PDF waits for a reader while every reader thread is lent, then reads it when one is free', async () => {
    const busy: PdfReader[] = [];
    for (let reader = pdfReaderPool.tryAcquire(corpus('R-data.pdf')); reader;) {
      busy.push(reader);
      reader = pdfReaderPool.tryAcquire(corpus('R-data.pdf'));
    }
    const heard: PdfReadProgress[] = [];
    const reading = extractPdfPages(corpus('R-data.pdf'), { onProgress: (progress) => void heard.push(progress) });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(heard).toEqual([{ state: 'waiting' }]);
    busy.forEach((reader) => pdfReaderPool.release(reader));
    const pages = await reading;
    expect(pages[0].text).toContain('R Data Import/Export');
    expect(heard.at(-1)).toEqual({ state: 'reading', pagesRead: pages.length, pageCount: pages.length });
  }, 60_000);

  it('reads a PDF that runs a reader out of memory again with a reader without the limit, then stops that one', async () => {
    // 8 MB of old generation is too little for pdf.js to read any page.
    const tight = new PdfReaderPool(1, 30_000, 8);
    const expected = await extractPdfPages(corpus('R-data.pdf'));
    expect(await extractPdfPages(corpus('R-data.pdf'), { pool: tight })).toEqual(expected);
    expect(tight.stats().started).toBe(2);
    // Two at once with one thread's place: each runs out, each waits its turn for a roomy reader.
    const both = await Promise.all([1, 2].map(() => extractPdfPages(corpus('R-data.pdf'), { pool: tight })));
    expect(both).toEqual([expected, expected]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(tight.stats().threads).toBe(0);
  }, 60_000);

  it('reads a large PDF with readers without the heap limit from the start', async () => {
    const tight = new PdfReaderPool(1, 30_000, 8);
    const pages = await extractPdfPages(corpus('R-data.pdf'), { pool: tight, maxBytesForLimitedReaders: 1 });
    expect(pages[0].text).toContain('R Data Import/Export');
    // One roomy thread, and no reader that ran out of memory first.
    expect(tight.stats().started).toBe(1);
  }, 60_000);
});
