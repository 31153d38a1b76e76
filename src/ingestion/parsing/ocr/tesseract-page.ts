import { spawn } from 'node:child_process';

/**
 * One scanned page through poppler's pdftoppm and Tesseract, each a subprocess: the page drawn as a grey
 * image at its scan's own resolution (at most MAX_DPI), then recognized into a text-only PDF page (Tesseract's
 * `textonly_pdf`, invisible text where the words are), a TSV of words with their confidences and the page's
 * plain text.
 */

/** Scheduling priority of OCR processes: embedding, writes and the worker's event loop come first. */
const OCR_NICENESS = '10';
const STDERR_TAIL_CHARS = 2000;
/**
 * Highest resolution pages are drawn at, and the one pages without a picture (or with one that says nothing
 * of its resolution) are drawn at. Tesseract's LSTM reads every text line scaled to its network's fixed
 * height, so pixels beyond this only cost layout analysis and drawing: on 65 corpus and wild pages scanned at
 * 300 dpi, 225 found the same characters (README, "Pages are drawn at 225 dpi at most") for 11–16 % less CPU;
 * 200 lost Chinese characters.
 */
export const MAX_DPI = 225;
/** Below 150 dpi Tesseract's letters get too small to read: lower scans are drawn larger. */
export const MIN_DPI = 150;
export const DEFAULT_DPI = MAX_DPI;
/**
 * Mean word confidence (0–100) below which a page reads poorly: it may be upside down or sideways (its
 * orientation is checked), or in a language other than the one it was read in (Chinese read with eng
 * scores 42–55, English 90–94).
 */
export const LOW_CONFIDENCE = 60;
/** Tesseract's orientation confidence needed to turn a page (ocrmypdf's default threshold for --rotate-pages). */
export const MIN_ORIENTATION_CONFIDENCE = 14;
/**
 * Tesseract settings for every page: no second pass over each text line inverted (white on black), which
 * costs ~20 % of the time and is rare in scanned documents.
 */
const TESSERACT_SETTINGS = ['-c', 'tessedit_do_invert=0'];

export class ToolError extends Error {
  constructor(
    readonly tool: string,
    message: string,
    readonly timedOut = false,
    readonly missing = false,
  ) {
    super(message);
  }
}

export interface ToolRun {
  /** Seconds before the process is killed. */
  timeoutSec: number;
  signal?: AbortSignal;
  cwd: string;
}

/**
 * Runs an OCR tool at a lower priority, one thread (OMP_THREAD_LIMIT=1: a page costs one core), in its
 * own process group so that aborting or a timeout kills it and everything it started.
 */
export function runTool(tool: string, args: string[], options: ToolRun): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const child = spawn('nice', ['-n', OCR_NICENESS, tool, ...args], {
      cwd: options.cwd,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, OMP_THREAD_LIMIT: '1', TMPDIR: options.cwd },
    });
    let stdout = '';
    let stderr = '';
    let settled = false;
    let timedOut = false;
    const kill = (): void => {
      if (child.pid && child.exitCode === null) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    };
    const finish = (err?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (err) {
        kill();
        reject(err);
      } else resolve(stdout);
    };
    const onAbort = (): void => finish(options.signal?.reason ?? new Error('OCR was stopped'));
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, options.timeoutSec * 1000);
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr = (stderr + text).slice(-STDERR_TAIL_CHARS)));
    child.on('error', (err) => finish(new ToolError(tool, err.message)));
    child.on('close', (code, signal) => {
      if (code === 0) return finish();
      // `nice` exits with 127 when the tool itself is not installed.
      const missing = code === 127;
      const detail = stderr.trim().split('\n').slice(-3).join(' ').slice(-600);
      const how = timedOut
        ? `took longer than ${options.timeoutSec} s`
        : missing
          ? 'is not installed'
          : signal
            ? `was killed by ${signal}`
            : `exited with code ${code}`;
      finish(new ToolError(tool, `${tool} ${how}${detail && !missing ? `: ${detail}` : ''}`, timedOut, missing));
    });
  });
}

/**
 * The resolution to draw each page at: the highest resolution of the largest picture on it (a scan's own
 * pixels, none invented; the higher of two when they differ, so no line of pixels is lost), within
 * MIN_DPI–MAX_DPI; DEFAULT_DPI for a page without a picture. From `pdfimages -list`.
 */
export function pageResolutions(pdfimagesList: string): Map<number, number> {
  const largest = new Map<number, { pixels: number; dpi: number }>();
  for (const line of pdfimagesList.split('\n').slice(2)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 14 || cols[2] !== 'image') continue;
    const [page, width, height, xppi, yppi] = [cols[0], cols[3], cols[4], cols[12], cols[13]].map(Number);
    const pixels = width * height;
    const dpi = Math.max(xppi, yppi);
    if (!Number.isFinite(pixels) || !Number.isFinite(dpi) || dpi <= 0) continue;
    if ((largest.get(page)?.pixels ?? -1) < pixels) largest.set(page, { pixels, dpi });
  }
  return new Map([...largest].map(([page, { dpi }]) => [page, Math.round(Math.min(MAX_DPI, Math.max(MIN_DPI, dpi)))]));
}

export interface RecognizedWords {
  words: number;
  /** Mean confidence of the recognized words, 0–100. */
  meanConfidence: number;
  /** Most of the text runs up or down the image (lines taller than wide): the page lies on its side. */
  runsVertically: boolean;
}

/** What Tesseract's TSV says of a page: how many words, how sure it was, which way its lines run. */
export function summarizeTsv(tsv: string): RecognizedWords {
  let words = 0;
  let confidence = 0;
  let horizontal = 0;
  let vertical = 0;
  for (const line of tsv.split('\n').slice(1)) {
    const cols = line.split('\t');
    if (cols.length < 12) continue;
    const [level, width, height, conf] = [cols[0], cols[8], cols[9], cols[10]].map(Number);
    if (level === 4) {
      // A line's length is its long side; a one-character line of Chinese counts for little either way.
      if (height > width) vertical += height;
      else horizontal += width;
    } else if (level === 5 && conf >= 0 && cols[11].trim()) {
      words++;
      confidence += conf;
    }
  }
  return { words, meanConfidence: words ? confidence / words : 0, runsVertically: vertical > horizontal };
}

/**
 * Whether the page might be turned: few confident words (upside down reads as nonsense) or lines running
 * vertically (Tesseract reads a sideways page, but the page stays sideways). Only then is Tesseract's
 * orientation detection asked, which would cost ~0.7 s on every page.
 */
export function mayBeTurned(summary: RecognizedWords): boolean {
  return summary.runsVertically || readsPoorly(summary);
}

/** Whether Tesseract was unsure of most of what it read: the page may be in a language it was not reading. */
export function readsPoorly(summary: RecognizedWords): boolean {
  return summary.meanConfidence < LOW_CONFIDENCE;
}

/**
 * Whether reading `a` is better than reading `b` of the same page: lines across the page beat lines up
 * it (Tesseract reads a sideways page almost as surely as an upright one), then the more confident wins.
 */
export function readsBetter(a: RecognizedWords, b: RecognizedWords): boolean {
  if (!a.words) return false;
  if (a.runsVertically !== b.runsVertically) return !a.runsVertically;
  return a.meanConfidence > b.meanConfidence;
}

/** Tesseract's orientation detection (`--psm 0`): degrees clockwise to turn the page upright, when it is sure. */
export function parseOrientation(osd: string): number {
  const rotate = Number(/^Rotate:\s*(\d+)/m.exec(osd)?.[1]);
  const confidence = Number(/^Orientation confidence:\s*([\d.]+)/m.exec(osd)?.[1]);
  if (![90, 180, 270].includes(rotate) || !(confidence >= MIN_ORIENTATION_CONFIDENCE)) return 0;
  return rotate;
}

export interface PageImage {
  /** An uncompressed grey TIFF. */
  file: string;
  dpi: number;
}

/**
 * Draws one page of `pdf` as a grey image at `dpi`: an uncompressed TIFF, no compression to spend time on
 * either side. Leptonica reads it ~0.12 s (8 %) faster than the same pixels as PGM, whose reader was 6.5 % of
 * Tesseract's instructions on an English page (callgrind), with the very same text recognized.
 */
export async function drawPage(
  pdf: string,
  page: number,
  dpi: number,
  prefix: string,
  run: ToolRun,
): Promise<PageImage> {
  const p = String(page);
  await runTool(
    'pdftoppm',
    ['-f', p, '-l', p, '-r', String(dpi), '-gray', '-tiff', '-tiffcompression', 'none', '-singlefile', pdf, prefix],
    run,
  );
  return { file: `${prefix}.tif`, dpi };
}

export interface RecognizedImage extends RecognizedWords {
  /** The page's text as Tesseract reads it: lines, and blank lines between paragraphs. */
  text: string;
}

/**
 * Recognizes an image into `<base>.pdf` (text only), `<base>.tsv` and `<base>.txt`; returns the text and the
 * TSV's summary. The text is Tesseract's own (its txt renderer, in its reading order): reading it back out
 * of the text-only PDF with pdf.js cost ~0.1 s a page, after every page was recognized.
 */
export async function recognizeImage(
  image: PageImage,
  models: string[],
  base: string,
  run: ToolRun,
  readFile: (file: string) => Promise<string>,
): Promise<RecognizedImage> {
  await runTool(
    'tesseract',
    [
      image.file,
      base,
      '--dpi',
      String(image.dpi),
      '-l',
      models.join('+'),
      ...TESSERACT_SETTINGS,
      '-c',
      'textonly_pdf=1',
      'pdf',
      'tsv',
      'txt',
    ],
    run,
  );
  const [tsv, text] = await Promise.all([readFile(`${base}.tsv`), readFile(`${base}.txt`)]);
  // Tesseract ends a page with a form feed (its page separator).
  return { ...summarizeTsv(tsv), text: text.replace(/\f/g, '') };
}

/** Degrees to turn the image clockwise so that its text stands upright (0 when upright or unsure). */
export async function detectOrientation(image: PageImage, run: ToolRun): Promise<number> {
  try {
    return parseOrientation(
      await runTool('tesseract', [image.file, '-', '--dpi', String(image.dpi), '--psm', '0'], run),
    );
  } catch (err) {
    // "Too few characters" and the like: nothing to turn by.
    if (err instanceof ToolError && !err.timedOut && !err.missing) return 0;
    throw err;
  }
}
