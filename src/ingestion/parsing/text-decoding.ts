import { IngestionError } from '../ingestion-errors';

/**
 * UTF-8 (with or without BOM) or UTF-16 with a BOM; text that is not valid UTF-8 is tried as GB18030,
 * the usual encoding of Chinese text files saved on Windows.
 */
export function decodeText(data: Buffer): string {
  if (data[0] === 0xff && data[1] === 0xfe) return new TextDecoder('utf-16le').decode(data.subarray(2));
  if (data[0] === 0xfe && data[1] === 0xff) return new TextDecoder('utf-16be').decode(data.subarray(2));
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(data);
  } catch {
    try {
      return new TextDecoder('gb18030', { fatal: true }).decode(data);
    } catch {
      throw new IngestionError(
        'UNSUPPORTED_ENCODING',
        'The text file is neither UTF-8, UTF-16 nor GB18030; save it as UTF-8 and upload it again.',
      );
    }
  }
}
