import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../../../config/app-config';
import { APP_CONFIG } from '../../../config/config.module';
import { IngestionError } from '../../ingestion-errors';
import { findOcrTools, OCR_INSTALL_HINT } from './ocr-tools';
import { DocumentModels, recognitionModels, RecognitionModels } from './recognition-models';
import {
  DEFAULT_DPI,
  readsBetter,
  detectOrientation,
  drawPage,
  mayBeTurned,
  pageResolutions,
  readsPoorly,
  recognizeImage,
  runTool,
  ToolError,
  ToolRun,
} from './tesseract-page';

export type OcrProgress = { state: 'waiting' } | { state: 'recognizing'; pagesDone: number; pageCount: number };

export interface OcrRequest {
  /** The PDF whose pages are recognized. */
  pdf: Buffer;
  /** 1-based pages without usable text; the others are left as they are. */
  pages: number[];
  /** Tesseract languages, e.g. ["chi_sim", "eng"]. */
  languages: string[];
  /** The document's own text on its other pages, if any: its script tells which models to start with. */
  textBeside?: string;
  onProgress?: (progress: OcrProgress) => Promise<void> | void;
  /** Aborting stops the Tesseract processes. */
  signal?: AbortSignal;
}

/** What OCR made of a PDF: the PDF with the text layer, and each recognized page's text. */
export interface RecognizedPdf {
  pdf: Buffer;
  /** Tesseract's text of each page in `OcrRequest.pages` that was recognized (a page given up has none). */
  texts: Map<number, string>;
}

/** Seconds Tesseract may spend on one page before the page is given up (left without text). */
const PAGE_TIMEOUT_SEC = 300;
/** Seconds for listing a document's pictures or putting its pages together (qpdf, pdfimages). */
const TOOL_TIMEOUT_SEC = 300;

/** Stands in line for this worker process's OCR: one document at a time, with OCR_CONCURRENCY pages in parallel. */
class OcrQueue {
  private tail: Promise<void> = Promise.resolve();
  waiting = 0;

  async run<T>(task: () => Promise<T>): Promise<T> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((resolve) => (release = resolve));
    this.waiting++;
    try {
      await previous;
    } finally {
      this.waiting--;
    }
    try {
      return await task();
    } finally {
      release();
    }
  }
}

/**
 * Recognizes the text of scanned pages and returns it with the PDF with a text layer on those pages, and
 * only those (the others are left untouched): each page is drawn by pdftoppm and read by Tesseract into a
 * text-only page, which qpdf lays over the original page; pages found upside down or sideways are turned
 * upright. CPU is bounded: a worker process reads one document at a time with OCR_CONCURRENCY pages in
 * parallel (one single-threaded process each), at a lower scheduling priority, so documents being
 * embedded meanwhile keep their share of the machine.
 */
@Injectable()
export class PageRecognizer implements OnApplicationBootstrap {
  private readonly logger = new Logger(PageRecognizer.name);
  private readonly queue = new OcrQueue();
  /** A document is being recognized (others wait in the queue). */
  private busy = false;

  constructor(@Inject(APP_CONFIG) private readonly config: Pick<AppConfig, 'ocrConcurrency' | 'ocrLanguages'>) {}

  /** Says once at worker start whether scans and images can be read, and with which languages. */
  async onApplicationBootstrap(): Promise<void> {
    const tools = await findOcrTools();
    if (!tools.available) {
      this.logger.warn(`${tools.problem}; scanned PDFs and images will fail with NO_TEXT_LAYER`);
      return;
    }
    const missing = this.config.ocrLanguages.filter((l) => !tools.languages.includes(l));
    const note = missing.length ? `; OCR_LANGUAGES not installed: ${missing.join(', ')}` : '';
    const models = recognitionModels(this.config.ocrLanguages, tools.models);
    const reading = `OCR_LANGUAGES ${this.config.ocrLanguages.join('+')} read by ${models.all.join('+')}${models.withoutChinese ? ` (documents without Chinese by ${models.withoutChinese.join('+')})` : ''}`;
    this.logger.log(
      `OCR ready: ${this.config.ocrConcurrency} page(s) at once, languages ${tools.languages.join(', ')}; ${reading}${note}`,
    );
  }

  get defaultLanguages(): string[] {
    return this.config.ocrLanguages;
  }

  /** Why OCR cannot run here (tools missing), or undefined when it can. */
  async unavailableReason(): Promise<string | undefined> {
    const tools = await findOcrTools();
    return tools.available ? undefined : tools.problem;
  }

  async recognize(request: OcrRequest): Promise<RecognizedPdf> {
    const tools = await findOcrTools();
    if (!tools.available) throw new IngestionError('NO_TEXT_LAYER', tools.problem ?? OCR_INSTALL_HINT);
    const missing = request.languages.filter((l) => !tools.languages.includes(l));
    if (missing.length) {
      throw new IngestionError(
        'OCR_FAILED',
        `The OCR language${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} not installed on the worker (installed: ${tools.languages.join(', ') || 'none'}); install tesseract-ocr-${missing[0].replace(/_/g, '-')} or change the knowledge base's OCR languages.`,
      );
    }
    if (this.queue.waiting > 0 || this.busy) await request.onProgress?.({ state: 'waiting' });
    return this.queue.run(async () => {
      // A page that fails stops the pages still being read beside it, before their folder goes.
      const stopAll = new AbortController();
      const onAbort = (): void => stopAll.abort(request.signal?.reason);
      if (request.signal?.aborted) onAbort();
      request.signal?.addEventListener('abort', onAbort, { once: true });
      try {
        const models = recognitionModels(request.languages, tools.models);
        return await this.recognizePages({ ...request, signal: stopAll.signal }, models, stopAll);
      } catch (err) {
        throw asIngestionError(err);
      } finally {
        request.signal?.removeEventListener('abort', onAbort);
      }
    });
  }

  private async recognizePages(
    request: OcrRequest,
    models: RecognitionModels,
    stopAll: AbortController,
  ): Promise<RecognizedPdf> {
    this.busy = true;
    const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'zhiku-ocr-'));
    try {
      const input = path.join(dir, 'input.pdf');
      await fs.promises.writeFile(input, request.pdf);
      const pages = [...new Set(request.pages)].sort((a, b) => a - b);
      const pageCount = pages.length;
      const jobs = Math.max(1, Math.min(this.config.ocrConcurrency, pageCount));
      const tool = (timeoutSec: number): ToolRun => ({ cwd: dir, signal: request.signal, timeoutSec });
      const resolutions = pageResolutions(await this.run('pdfimages', ['-list', input], tool(TOOL_TIMEOUT_SEC)));
      const started = Date.now();
      await request.onProgress?.({ state: 'recognizing', pagesDone: 0, pageCount });

      const results = new Map<number, PageResult>();
      const documentModels = new DocumentModels(models, request.textBeside);
      let pagesDone = 0;
      let next = 0;
      const work = async (): Promise<void> => {
        while (next < pages.length) {
          const page = pages[next++];
          const dpi = resolutions.get(page) ?? DEFAULT_DPI;
          const result = await this.recognizePage(input, page, dpi, documentModels, request, dir);
          if (result.text !== undefined) documentModels.read(result.text);
          results.set(page, result);
          await request.onProgress?.({ state: 'recognizing', pagesDone: ++pagesDone, pageCount });
        }
      };
      const workers = Array.from({ length: jobs }, () =>
        work().catch((err: unknown) => {
          stopAll.abort(err);
          throw err;
        }),
      );
      // Every worker has ended (the first failure stopped the others) before the folder is removed.
      const outcomes = await Promise.allSettled(workers);
      const failure = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
      if (failure) throw failure.reason;

      const output = await this.assemble(input, pages, results, dir);
      const turned = [...results.values()].filter((r) => r.turnedBy).length;
      const readBy = new Map<string, number>();
      for (const r of results.values()) if (r.models) readBy.set(r.models, (readBy.get(r.models) ?? 0) + 1);
      const how = [...readBy].map(([m, n]) => `${n} by ${m}`).join(', ');
      this.logger.log(
        `recognized ${pageCount} page(s) in ${((Date.now() - started) / 1000).toFixed(1)} s (${jobs} at once, ${request.languages.join('+')}: ${how}${turned ? `, ${turned} turned upright` : ''})`,
      );
      const texts = new Map<number, string>();
      for (const [page, result] of results) if (result.text !== undefined) texts.set(page, result.text);
      return { pdf: output, texts };
    } finally {
      this.busy = false;
      await fs.promises.rm(dir, { recursive: true, force: true });
    }
  }

  /**
   * One page: drawn at its scan's resolution and recognized as it stands, with the models the document's
   * pages so far call for; a page read poorly without the Chinese models is read again with every
   * language's (it may be the first Chinese page of the document), and the better reading kept. Only when
   * the result suggests a page upside down or sideways is its orientation detected, and the page turned and
   * recognized again (the better reading is kept).
   */
  private async recognizePage(
    input: string,
    page: number,
    dpi: number,
    documentModels: DocumentModels,
    request: OcrRequest,
    dir: string,
  ): Promise<PageResult> {
    const run: ToolRun = { cwd: dir, signal: request.signal, timeoutSec: PAGE_TIMEOUT_SEC };
    const base = path.join(dir, `page-${page}`);
    const readFile = (file: string): Promise<string> => fs.promises.readFile(file, 'utf8');
    try {
      const image = await drawPage(input, page, dpi, base, run);
      const first = documentModels.next();
      let reading = {
        base,
        models: first.models,
        words: await recognizeImage(image, first.models, base, run, readFile),
      };
      if (first.withoutChinese && readsPoorly(reading.words)) {
        const again = await recognizeImage(image, documentModels.all, `${base}-all`, run, readFile);
        if (readsBetter(again, reading.words))
          reading = { base: `${base}-all`, models: documentModels.all, words: again };
      }
      const { models, words: upright } = reading;
      let result: PageResult = {
        textPdf: `${reading.base}.pdf`,
        text: upright.text,
        turnedBy: 0,
        models: models.join('+'),
      };
      if (mayBeTurned(upright)) {
        const turnBy = await detectOrientation(image, run);
        if (turnBy) {
          const turnedPdf = `${base}-turned.pdf`;
          await this.run('qpdf', ['--warning-exit-0', input, `--rotate=+${turnBy}:${page}`, '--', turnedPdf], run);
          const turnedImage = await drawPage(turnedPdf, page, dpi, `${base}-turned`, run);
          const turned = await recognizeImage(turnedImage, models, `${base}-turned`, run, readFile);
          if (readsBetter(turned, upright)) {
            result = { ...result, textPdf: `${base}-turned.pdf`, text: turned.text, turnedBy: turnBy };
          }
        }
      }
      await fs.promises.rm(image.file, { force: true });
      return result;
    } catch (err) {
      if (err instanceof ToolError && err.timedOut && err.tool === 'tesseract') {
        // Like a page Tesseract cannot finish in ocrmypdf: left without text, the others still count.
        this.logger.warn(`OCR gave up page ${page} after ${PAGE_TIMEOUT_SEC} s`);
        return { turnedBy: 0 };
      }
      throw err;
    }
  }

  /**
   * The input with the recognized text laid over its pages (qpdf --overlay: invisible text, the page's
   * picture untouched), pages found turned set upright first (as ocrmypdf --rotate-pages does).
   */
  private async assemble(
    input: string,
    pages: number[],
    results: Map<number, PageResult>,
    dir: string,
  ): Promise<Buffer> {
    const run: ToolRun = { cwd: dir, timeoutSec: TOOL_TIMEOUT_SEC };
    const recognized = pages.filter((page) => results.get(page)?.textPdf);
    const output = path.join(dir, 'output.pdf');
    const rotations = pages
      .filter((page) => results.get(page)?.turnedBy)
      .map((page) => `--rotate=+${results.get(page)?.turnedBy}:${page}`);
    if (!recognized.length) return fs.promises.readFile(input);
    const text = path.join(dir, 'text.pdf');
    await this.run(
      'qpdf',
      ['--warning-exit-0', '--empty', '--pages', ...recognized.map((page) => results.get(page)!.textPdf!), '--', text],
      run,
    );
    await this.run(
      'qpdf',
      ['--warning-exit-0', input, ...rotations, '--overlay', text, `--to=${pageRanges(recognized)}`, '--', output],
      run,
    );
    return fs.promises.readFile(output);
  }

  /** A tool run whose failure fails the document with OCR_FAILED (or NO_TEXT_LAYER when a tool is missing). */
  private async run(tool: string, args: string[], run: ToolRun): Promise<string> {
    try {
      return await runTool(tool, args, run);
    } catch (err) {
      throw asIngestionError(err);
    }
  }
}

interface PageResult {
  /** Tesseract's text-only page; none when the page could not be recognized in time. */
  textPdf?: string;
  /** Tesseract's text of the page (the reading kept). */
  text?: string;
  /** Degrees the page was turned clockwise to stand upright. */
  turnedBy: number;
  /** The Tesseract models of the reading kept, joined by +. */
  models?: string;
}

function asIngestionError(err: unknown): unknown {
  if (!(err instanceof ToolError)) return err;
  if (err.missing) {
    return new IngestionError(
      'NO_TEXT_LAYER',
      `OCR is not installed on the worker (${err.tool} is missing): ${OCR_INSTALL_HINT}`,
    );
  }
  return new IngestionError('OCR_FAILED', `OCR failed: ${err.message}.`);
}

/** 1,2,3,5,7,8 → "1-3,5,7-8" (qpdf's page ranges). */
export function pageRanges(pages: number[]): string {
  const sorted = [...new Set(pages)].sort((a, b) => a - b);
  const ranges: string[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const start = sorted[i];
    while (i + 1 < sorted.length && sorted[i + 1] === sorted[i] + 1) i++;
    ranges.push(start === sorted[i] ? `${start}` : `${start}-${sorted[i]}`);
  }
  return ranges.join(',');
}
