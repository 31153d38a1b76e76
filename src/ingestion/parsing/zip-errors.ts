import { withZipArchive, ZipArchive, ZipArchiveError } from '../../documents/upload/zip-archive';
import { IngestionError } from '../ingestion-errors';

/** A ZIP-based document that cannot be opened, or that inflates beyond the limits, as a coded failure. */
export function corruptArchive(what: string, err: unknown): Error {
  if (err instanceof IngestionError) return err;
  if (err instanceof ZipArchiveError) {
    return new IngestionError(
      'CORRUPT_FILE',
      err.reason === 'too-large'
        ? `The ${what} was not read: ${err.message}.`
        : `The ${what} is damaged and cannot be read: ${err.message}.`,
    );
  }
  return err instanceof Error ? err : new Error(String(err));
}

/** Opens a ZIP-based document, reads it with `read` and closes it; archive problems become CORRUPT_FILE. */
export async function readZipDocument<T>(
  data: Buffer,
  what: string,
  read: (zip: ZipArchive) => Promise<T>,
): Promise<T> {
  try {
    return await withZipArchive(data, read);
  } catch (err) {
    throw corruptArchive(what, err);
  }
}
