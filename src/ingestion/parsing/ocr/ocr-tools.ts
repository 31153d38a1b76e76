import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface OcrTools {
  available: boolean;
  /** Installed Tesseract languages (eng, chi_sim, …). */
  languages: string[];
  /** Every installed Tesseract model: the languages and the script models (HanS, HanT, …). */
  models: string[];
  /** Why OCR cannot run, in plain words with the fix. */
  problem?: string;
}

/** How to install the OCR tools; quoted by every message that says OCR is missing. */
export const OCR_INSTALL_HINT =
  'install the OCR tools (on Debian or Ubuntu: `npm run ocr:install`, which installs tesseract-ocr with Chinese and English, poppler-utils, qpdf and img2pdf; the Docker image has them)';

let probe: Promise<OcrTools> | undefined;

/** Whether Tesseract and the PDF tools OCR uses are installed, and with which languages (asked once per process). */
export function findOcrTools(): Promise<OcrTools> {
  probe ??= probeOcrTools();
  return probe;
}

async function probeOcrTools(): Promise<OcrTools> {
  try {
    // pdftoppm draws the pages, pdfimages finds their resolution, qpdf puts the text layer on them.
    await Promise.all([
      run('pdftoppm', ['-v'], { timeout: 30_000 }),
      run('pdfimages', ['-v'], { timeout: 30_000 }),
      run('qpdf', ['--version'], { timeout: 30_000 }),
    ]);
    const { stdout, stderr } = await run('tesseract', ['--list-langs'], { timeout: 30_000 });
    const models = `${stdout}\n${stderr}`
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => /^[A-Za-z]{3,}(?:_[a-z]{3,4})?$/.test(l) && l !== 'osd');
    const languages = models.filter((l) => /^[a-z]{3}(?:_[a-z]{3,4})?$/.test(l));
    return { available: true, languages, models };
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    return {
      available: false,
      languages: [],
      models: [],
      problem: missing
        ? `OCR is not installed on the worker: ${OCR_INSTALL_HINT}`
        : `OCR tools do not run on the worker (${(err as Error).message}): ${OCR_INSTALL_HINT}`,
    };
  }
}
