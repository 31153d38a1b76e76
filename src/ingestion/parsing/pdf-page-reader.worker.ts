/**
 * Worker-thread entry that reads the text of PDF pages with pdf-parse (pdf.js), a window of pages per
 * request from the main thread. Keeping pdf.js off the main thread leaves the worker process's event loop
 * free (pdf.js's in-thread "fake worker" runs on promise chains that starve it), and several threads read
 * one large PDF in parallel. See extractPdfPages for the other side.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PDFParse } from 'pdf-parse';

export interface PdfPageReaderInput {
  data: Uint8Array;
  cMapUrl: string;
  standardFontDataUrl: string;
}

/**
 * Main thread → reader: read the text of pages first..last (1-based, inclusive), or count which of the
 * listed pages paint a picture (an image of at least IMAGE_MIN_PIXELS on a side), to tell scans from drawings.
 */
export type PdfPageReaderRequest = { first: number; last: number } | { imagesOn: number[] };

/** Reader → main thread. */
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
  const input = workerData as PdfPageReaderInput;
  const parser = new PDFParse({
    data: input.data,
    cMapUrl: input.cMapUrl,
    cMapPacked: true,
    standardFontDataUrl: input.standardFontDataUrl,
    verbosity: 0,
  });
  const reply = (message: PdfPageReaderReply): void => port.postMessage(message);
  const replyError = (err: unknown): void => {
    const error = err instanceof Error ? err : new Error(String(err));
    reply({ type: 'error', name: error.name, message: error.message });
  };
  port.on('message', (request: PdfPageReaderRequest) => {
    if ('imagesOn' in request) {
      countPicturePages(parser, request.imagesOn).then(
        (pagesWithImages) => reply({ type: 'images', pagesWithImages }),
        replyError,
      );
      return;
    }
    parser
      .getText({ first: request.first, last: request.last, pageJoiner: '', cellSeparator: ' ' })
      .then(
        (result) =>
          reply({ type: 'pages', total: result.total, pages: result.pages.map((p) => ({ num: p.num, text: p.text })) }),
        replyError,
      );
  });
}
