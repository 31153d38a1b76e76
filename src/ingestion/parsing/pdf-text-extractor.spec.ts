import { MAX_BYTES_FOR_EXTRA_READERS, readerThreadsFor } from './pdf-text-extractor';

describe('readerThreadsFor', () => {
  it('reads a long PDF with two threads and a short one with one', () => {
    expect(readerThreadsFor(2415, 6_500_000)).toBe(Math.min(2, require('node:os').availableParallelism()));
    expect(readerThreadsFor(41, 300_000)).toBe(1);
  });

  it('reads a large file with one thread, since every reader thread holds its own copy of the file', () => {
    expect(readerThreadsFor(2415, MAX_BYTES_FOR_EXTRA_READERS + 1)).toBe(1);
    expect(readerThreadsFor(100_000, 100 * 1024 * 1024)).toBe(1);
  });
});
