import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../../../config/app-config';
import { APP_CONFIG } from '../../../config/config.module';
import { IngestionError } from '../../ingestion-errors';
import { findOcrTools, OCR_INSTALL_HINT } from './ocr-tools';
import { OCRMYPDF_PLUGIN_SOURCE, PAGE_DONE_MARKER, TESSERACT_CONFIG } from './ocrmypdf-plugin';

export type OcrProgress = { state: 'waiting' } | { state: 'recognizing'; pagesDone: number; pageCount: number };

export interface OcrRequest {
  /** The PDF whose pages are recognized. */
  pdf: Buffer;
  /** 1-based pages without usable text; the others are left as they are. */
  pages: number[];
  /** Tesseract languages, e.g. ["chi_sim", "eng"]. */
  languages: string[];
  onProgress?: (progress: OcrProgress) => Promise<void> | void;
  /** Aborting stops ocrmypdf and its Tesseract processes. */
  signal?: AbortSignal;
}

/** Scheduling priority of OCR processes: embedding, writes and the worker's event loop come first. */
const OCR_NICENESS = '10';
/** Seconds Tesseract may spend on one page before ocrmypdf gives the page up. */
const PAGE_TIMEOUT_SEC = 300;
const STDERR_TAIL_CHARS = 4000;

/** Stands in line for this worker process's OCR: one ocrmypdf run at a time, with OCR_CONCURRENCY pages in parallel. */
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
 * Recognizes the text of scanned pages with ocrmypdf (Tesseract) in a subprocess and returns the PDF
 * with a text layer on those pages (`--skip-text`: pages that have text keep it untouched; `--pages`:
 * only the pages asked for are read; `--rotate-pages`: pages scanned sideways or upside down are turned).
 * CPU is bounded: a worker process runs one ocrmypdf at a time with OCR_CONCURRENCY pages in parallel
 * (one Tesseract thread each), at a lower scheduling priority, so documents being embedded meanwhile keep
 * their share of the machine.
 */
@Injectable()
export class PageRecognizer implements OnApplicationBootstrap {
  private readonly logger = new Logger(PageRecognizer.name);
  private readonly queue = new OcrQueue();
  /** An ocrmypdf run is going on (others wait in the queue). */
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
    this.logger.log(
      `OCR ready: ${this.config.ocrConcurrency} page(s) at once, languages ${tools.languages.join(', ')}${note}`,
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

  async recognize(request: OcrRequest): Promise<Buffer> {
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
    return this.queue.run(() => this.runOcrmypdf(request));
  }

  private async runOcrmypdf(request: OcrRequest): Promise<Buffer> {
    this.busy = true;
    const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'zhiku-ocr-'));
    try {
      const input = path.join(dir, 'input.pdf');
      const output = path.join(dir, 'output.pdf');
      const plugin = path.join(dir, 'zhiku_ocr_progress.py');
      const tessConfig = path.join(dir, 'zhiku.tesseract.cfg');
      await Promise.all([
        fs.promises.writeFile(input, request.pdf),
        fs.promises.writeFile(plugin, OCRMYPDF_PLUGIN_SOURCE),
        fs.promises.writeFile(tessConfig, TESSERACT_CONFIG),
      ]);
      const pageCount = request.pages.length;
      const jobs = Math.max(1, Math.min(this.config.ocrConcurrency, pageCount));
      const args = [
        '-n',
        OCR_NICENESS,
        'ocrmypdf',
        '--plugin',
        plugin,
        '--tesseract-config',
        tessConfig,
        '--language',
        request.languages.join('+'),
        '--jobs',
        String(jobs),
        '--pages',
        pageRanges(request.pages),
        '--skip-text',
        '--rotate-pages',
        '--output-type',
        'pdf',
        '--optimize',
        '0',
        '--fast-web-view',
        '1000000',
        '--tesseract-timeout',
        String(PAGE_TIMEOUT_SEC),
        '--quiet',
        input,
        output,
      ];
      const started = Date.now();
      await request.onProgress?.({ state: 'recognizing', pagesDone: 0, pageCount });
      await this.spawnOcrmypdf(args, dir, jobs, pageCount, request);
      this.logger.log(
        `recognized ${pageCount} page(s) in ${((Date.now() - started) / 1000).toFixed(1)} s (${jobs} at once, ${request.languages.join('+')})`,
      );
      return await fs.promises.readFile(output);
    } finally {
      this.busy = false;
      await fs.promises.rm(dir, { recursive: true, force: true });
    }
  }

  private spawnOcrmypdf(
    args: string[],
    dir: string,
    jobs: number,
    pageCount: number,
    request: OcrRequest,
  ): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const child = spawn('nice', args, {
        cwd: dir,
        // Its own process group, so stopping it stops its Tesseract processes too.
        detached: true,
        stdio: ['ignore', 'ignore', 'pipe'],
        // One Tesseract thread per page: OCR_CONCURRENCY pages use OCR_CONCURRENCY cores, no more.
        env: { ...process.env, OMP_THREAD_LIMIT: '1', TMPDIR: dir, PYTHONUNBUFFERED: '1' },
      });
      let stderrTail = '';
      let pending = '';
      let pagesDone = 0;
      let progress: Promise<void> = Promise.resolve();
      let failed = false;
      const stop = (): void => {
        if (child.pid && child.exitCode === null) {
          try {
            process.kill(-child.pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
      };
      const fail = (err: unknown): void => {
        if (failed) return;
        failed = true;
        stop();
        reject(err);
      };
      const onAbort = (): void => fail(request.signal?.reason ?? new Error('OCR was stopped'));
      if (request.signal?.aborted) return onAbort();
      request.signal?.addEventListener('abort', onAbort, { once: true });
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (text: string) => {
        pending += text;
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) {
          if (line.trim() === PAGE_DONE_MARKER) {
            pagesDone = Math.min(pageCount, pagesDone + 1);
            const done = pagesDone;
            progress = progress
              .then(() => request.onProgress?.({ state: 'recognizing', pagesDone: done, pageCount }))
              .catch(fail);
          } else {
            stderrTail = (stderrTail + line + '\n').slice(-STDERR_TAIL_CHARS);
          }
        }
      });
      child.on('error', (err: NodeJS.ErrnoException) =>
        fail(
          err.code === 'ENOENT'
            ? new IngestionError('NO_TEXT_LAYER', `OCR is not installed on the worker: ${OCR_INSTALL_HINT}`)
            : err,
        ),
      );
      child.on('close', (code, signal) => {
        request.signal?.removeEventListener('abort', onAbort);
        if (failed) return;
        if (code === 0) {
          progress.then(() => resolve(), fail);
          return;
        }
        const detail = stderrTail.trim().split('\n').slice(-3).join(' ').slice(-600);
        fail(
          new IngestionError(
            'OCR_FAILED',
            `OCR of ${pageCount} page(s) failed (ocrmypdf ${signal ? `killed by ${signal}` : `exit code ${code}`}, ${jobs} at once)${detail ? `: ${detail}` : ''}.`,
          ),
        );
      });
    });
  }
}

/** 1,2,3,5,7,8 → "1-3,5,7-8" (ocrmypdf's --pages). */
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
