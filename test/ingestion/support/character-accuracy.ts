import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Text compared character by character: full-width forms folded (NFKC), whitespace dropped. */
export function comparable(text: string): string {
  return text.normalize('NFKC').replace(/\s+/g, '');
}

/**
 * Character accuracy as OCR evaluations define it: 1 − (Levenshtein edit distance ÷ reference length),
 * over the comparable text (whitespace is layout, not characters).
 */
export function characterAccuracy(reference: string, recognized: string): number {
  const a = [...comparable(reference)];
  const b = [...comparable(recognized)];
  if (!a.length) return b.length ? 0 : 1;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return 1 - previous[b.length] / a.length;
}

/** The text layer of one page of a PDF, as poppler's pdftotext (what a PDF viewer selects) reads it. */
export function pdfPageText(pdf: Buffer | string, page: number): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zhiku-text-'));
  try {
    let file = pdf as string;
    if (Buffer.isBuffer(pdf)) {
      file = path.join(dir, 'in.pdf');
      fs.writeFileSync(file, pdf);
    }
    return execFileSync('pdftotext', ['-f', String(page), '-l', String(page), '-enc', 'UTF-8', file, '-'], {
      encoding: 'utf8',
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
