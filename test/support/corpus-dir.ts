import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The shared real documents: `../shared/corpus` beside the checkout, or wherever ZHIKU_CORPUS_DIR points
 * (`.ci/run` sets it for a clone made away from them).
 */
export const CORPUS_DIR = path.resolve(process.env.ZHIKU_CORPUS_DIR ?? path.join(__dirname, '../../../shared/corpus'));

/** Fails at once, in plain words, when the documents the tests read are not there. */
export function assertCorpusPresent(): void {
  if (!fs.existsSync(path.join(CORPUS_DIR, 'R-data.pdf'))) {
    throw new Error(
      `The shared test documents are not at ${CORPUS_DIR}: keep the checkout beside ../shared, or set ZHIKU_CORPUS_DIR to the corpus folder.`,
    );
  }
}
