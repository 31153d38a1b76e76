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

/** Main thread → reader: read pages first..last (1-based, inclusive). */
export interface PdfPageReaderRequest {
  first: number;
  last: number;
}

/** Reader → main thread. */
export type PdfPageReaderReply =
  | { type: 'pages'; total: number; pages: Array<{ num: number; text: string }> }
  | { type: 'error'; name: string; message: string };

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
  port.on('message', ({ first, last }: PdfPageReaderRequest) => {
    parser.getText({ first, last, pageJoiner: '', cellSeparator: ' ' }).then(
      (result) =>
        reply({ type: 'pages', total: result.total, pages: result.pages.map((p) => ({ num: p.num, text: p.text })) }),
      (err: unknown) => {
        const error = err instanceof Error ? err : new Error(String(err));
        reply({ type: 'error', name: error.name, message: error.message });
      },
    );
  });
}
