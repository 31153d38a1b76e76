/**
 * Worker-thread entry that reads the text of PDF pages with pdf-parse (pdf.js), a window of pages per
 * request from the main thread. Keeping pdf.js off the main thread leaves the worker process's event loop
 * free (pdf.js's in-thread "fake worker" runs on promise chains that starve it), and several threads read
 * one large PDF in parallel. A thread lives for many documents, one at a time: starting one (an isolate that
 * loads pdf.js) costs ~0.7 CPU-s. See PdfReaderPool and extractPdfPages for the other side.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PDFParse } from 'pdf-parse';

/** Fixed for the thread's life. */
export interface PdfPageReaderSetup {
  cMapUrl: string;
  standardFontDataUrl: string;
}

/**
 * Main thread → reader, answered in order: `open` makes `data` the document the next requests read (the
 * one before is let go), `close` lets it go without a reply; a read gets the text of pages first..last
 * (1-based, inclusive), `images` counts which of the listed pages paint a picture (an image of at least
 * IMAGE_MIN_PIXELS on a side), to tell scans from drawings.
 */
export type PdfPageReaderRequest =
  | { type: 'open'; data: Uint8Array }
  | { type: 'close' }
  | { type: 'read'; first: number; last: number }
  | { type: 'images'; pageNumbers: number[] };

/** The requests that are answered. */
export type PdfPageReaderQuery = Extract<PdfPageReaderRequest, { type: 'read' | 'images' }>;

/** Reader → main thread, one for each read or images request. */
export type PdfPageReaderReply =
  | { type: 'pages'; total: number; pages: Array<{ num: number; text: string }> }
  | { type: 'images'; pagesWithImages: number }
  | { type: 'error'; name: string; message: string };

/** Smaller images (in pixels) are bullets, icons or rules, not a picture of the page. */
const IMAGE_MIN_PIXELS = 32;
/**
 * pdf.js's operator codes (OPS in pdf.js's shared/util.js) that paint an image: image mask, image, inline
 * image, and the repeated forms. The image's size is in the arguments: [id, width, height] for an image,
 * [{width, height, …}] for inline images and masks.
 */
const IMAGE_OPS = new Set([83, 85, 86, 88, 89]);

/** The pdf.js document behind pdf-parse (its `load()`, private in the typings of the pinned 2.4.5). */
interface PdfJsDocument {
  numPages: number;
  getPage(
    n: number,
  ): Promise<{ getOperatorList(): Promise<{ fnArray: number[]; argsArray: unknown[][] }>; cleanup(): void }>;
}

/**
 * How many of the pages paint a picture at least IMAGE_MIN_PIXELS on each side. Reads only the pages'
 * drawing operators, without decoding the images (pdf-parse's getImage decodes them, and waits forever
 * on the small images pdf.js inlines).
 */
async function countPicturePages(parser: PDFParse, pageNumbers: number[]): Promise<number> {
  const doc = await (parser as unknown as { load(): Promise<PdfJsDocument> }).load();
  let count = 0;
  for (const n of pageNumbers) {
    if (n < 1 || n > doc.numPages) continue;
    const page = await doc.getPage(n);
    const { fnArray, argsArray } = await page.getOperatorList();
    page.cleanup();
    const isPicture = (i: number): boolean => {
      const args = argsArray[i] ?? [];
      const inline = args[0] as { width?: unknown; height?: unknown } | undefined;
      const [width, height] = typeof args[1] === 'number' ? [args[1], args[2]] : [inline?.width, inline?.height];
      return (
        typeof width !== 'number' || typeof height !== 'number' || Math.min(width, height as number) >= IMAGE_MIN_PIXELS
      );
    };
    if (fnArray.some((fn, i) => IMAGE_OPS.has(fn) && isPicture(i))) count++;
  }
  return count;
}

if (parentPort) {
  const port = parentPort;
  const setup = workerData as PdfPageReaderSetup;
  const reply = (message: PdfPageReaderReply): void => port.postMessage(message);
  const replyError = (err: unknown): void => {
    const error = err instanceof Error ? err : new Error(String(err));
    reply({ type: 'error', name: error.name, message: error.message });
  };
  let parser: PDFParse | undefined;
  /** Requests run one after another, so a read never meets a document half let go. */
  let queue = Promise.resolve();
  const letGo = async (): Promise<void> => {
    const previous = parser;
    parser = undefined;
    await previous?.destroy().catch(() => undefined);
  };
  const handle = async (request: PdfPageReaderRequest): Promise<void> => {
    if (request.type === 'open' || request.type === 'close') {
      await letGo();
      if (request.type === 'open') {
        // pdf.js looks at the bytes only when a page is first asked for.
        parser = new PDFParse({
          data: request.data,
          cMapUrl: setup.cMapUrl,
          cMapPacked: true,
          standardFontDataUrl: setup.standardFontDataUrl,
          verbosity: 0,
        });
      }
      return;
    }
    if (!parser) return replyError(new Error('no document is open'));
    if (request.type === 'images') {
      reply({ type: 'images', pagesWithImages: await countPicturePages(parser, request.pageNumbers) });
      return;
    }
    const result = await parser.getText({
      first: request.first,
      last: request.last,
      pageJoiner: '',
      cellSeparator: ' ',
    });
    reply({ type: 'pages', total: result.total, pages: result.pages.map((p) => ({ num: p.num, text: p.text })) });
  };
  port.on('message', (request: PdfPageReaderRequest) => {
    // Only a read or images request is answered, so that replies and requests stay paired: a fault while
    // opening shows in the next read's reply.
    const answered = request.type === 'read' || request.type === 'images';
    queue = queue.then(() => handle(request)).catch((err: unknown) => (answered ? replyError(err) : undefined));
  });
}
