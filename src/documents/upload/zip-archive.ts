import * as yauzl from 'yauzl';

/**
 * Limits for every ZIP-based format (.docx, .xlsx, .pptx, .epub): a real document has hundreds of parts
 * and inflates to a few times its size; a zip bomb has huge counts or inflates a thousandfold.
 */
export const ZIP_LIMITS = {
  maxEntries: 10_000,
  /** Total inflated size of all parts, as declared and as actually inflated. */
  maxInflatedBytes: 512 * 1024 * 1024,
  /** A part that inflates more than this many times its compressed size, beyond 1 MB, is a bomb. */
  maxRatio: 200,
  ratioFloorBytes: 1024 * 1024,
};

/** Why an archive was refused: too big when inflated, or unreadable. */
export class ZipArchiveError extends Error {
  constructor(
    readonly reason: 'too-large' | 'damaged',
    message: string,
  ) {
    super(message);
  }
}

const MB = 1024 * 1024;

/**
 * A ZIP archive read from its central directory, checked against ZIP_LIMITS before anything is inflated;
 * parts are inflated on demand and the inflated bytes are counted (a part that inflates beyond its
 * declared size fails), so a lying archive cannot get past the limits either.
 */
export class ZipArchive {
  private inflated = 0;

  private constructor(
    private readonly zip: yauzl.ZipFile,
    private readonly entries: Map<string, yauzl.Entry>,
  ) {}

  /** Opens an archive from a buffer or a file path (a path reads only the central directory). */
  static async open(source: Buffer | string): Promise<ZipArchive> {
    const options: yauzl.Options = { lazyEntries: true, autoClose: false, validateEntrySizes: true };
    const zip = await new Promise<yauzl.ZipFile>((resolve, reject) => {
      const done = (err: Error | null, zipfile?: yauzl.ZipFile): void =>
        err || !zipfile ? reject(damaged(err)) : resolve(zipfile);
      if (typeof source === 'string') yauzl.open(source, options, done);
      else yauzl.fromBuffer(source, options, done);
    });
    try {
      if (zip.entryCount > ZIP_LIMITS.maxEntries) {
        throw new ZipArchiveError(
          'too-large',
          `it has ${zip.entryCount} parts; at most ${ZIP_LIMITS.maxEntries} are accepted`,
        );
      }
      const entries = await readEntries(zip);
      return new ZipArchive(zip, entries);
    } catch (err) {
      zip.close();
      throw err;
    }
  }

  /** Part names, in the archive's order. */
  names(): string[] {
    return [...this.entries.keys()];
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** The inflated bytes of a part; undefined when there is no such part. */
  async read(name: string): Promise<Buffer | undefined> {
    const entry = this.entries.get(name);
    if (!entry) return undefined;
    const stream = await new Promise<NodeJS.ReadableStream>((resolve, reject) =>
      this.zip.openReadStream(entry, (err, s) => (err || !s ? reject(damaged(err)) : resolve(s))),
    );
    const parts: Buffer[] = [];
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        this.inflated += chunk.length;
        if (this.inflated > ZIP_LIMITS.maxInflatedBytes) throw tooLarge(this.inflated);
        parts.push(chunk);
      }
    } catch (err) {
      throw err instanceof ZipArchiveError ? err : damaged(err as Error);
    }
    return Buffer.concat(parts);
  }

  async readText(name: string): Promise<string | undefined> {
    return (await this.read(name))?.toString('utf8');
  }

  /** Inflates every part once, counting bytes: proves a library that inflates by itself stays within the limits. */
  async verifyAll(): Promise<void> {
    for (const name of this.entries.keys()) await this.read(name);
  }

  close(): void {
    this.zip.close();
  }
}

/** Opens, runs `use` and closes; errors of `use` pass through. */
export async function withZipArchive<T>(source: Buffer | string, use: (zip: ZipArchive) => Promise<T>): Promise<T> {
  const zip = await ZipArchive.open(source);
  try {
    return await use(zip);
  } finally {
    zip.close();
  }
}

function readEntries(zip: yauzl.ZipFile): Promise<Map<string, yauzl.Entry>> {
  return new Promise((resolve, reject) => {
    const entries = new Map<string, yauzl.Entry>();
    let declared = 0;
    zip.on('error', (err: Error) => reject(damaged(err)));
    zip.on('end', () => resolve(entries));
    zip.on('entry', (entry: yauzl.Entry) => {
      declared += entry.uncompressedSize;
      if (declared > ZIP_LIMITS.maxInflatedBytes) return reject(tooLarge(declared));
      if (
        entry.uncompressedSize > ZIP_LIMITS.ratioFloorBytes &&
        entry.uncompressedSize > Math.max(1, entry.compressedSize) * ZIP_LIMITS.maxRatio
      ) {
        return reject(
          new ZipArchiveError(
            'too-large',
            `its part "${entry.fileName}" inflates ${Math.round(entry.uncompressedSize / Math.max(1, entry.compressedSize))} times (${Math.round(entry.uncompressedSize / MB)} MB), like a zip bomb`,
          ),
        );
      }
      if (!entry.fileName.endsWith('/')) entries.set(entry.fileName, entry);
      zip.readEntry();
    });
    zip.readEntry();
  });
}

function tooLarge(bytes: number): ZipArchiveError {
  return new ZipArchiveError(
    'too-large',
    `it inflates to more than ${Math.round(bytes / MB)} MB; at most ${ZIP_LIMITS.maxInflatedBytes / MB} MB are accepted`,
  );
}

function damaged(err: Error | null | undefined): ZipArchiveError {
  if (err instanceof ZipArchiveError) return err;
  return new ZipArchiveError('damaged', `its ZIP structure is damaged (${err?.message ?? 'unreadable'})`);
}
