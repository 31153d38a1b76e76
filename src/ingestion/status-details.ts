/**
 * The passing conditions the worker writes in a document's `statusDetail`, in one place: the admin UI
 * recognizes them by their beginnings to say them in its own words (web/src/utils/documents.ts), and a
 * test holds the two together.
 */
export const STATUS_DETAILS = {
  waitingForReader: 'Waiting for a PDF reader (other documents are being read)',
  waitingForOcr: 'Waiting for OCR (another document is being recognized)',
  ocrPage: (page: number, of: number): string => `OCR page ${page} of ${of}`,
  buildingIndex: 'Building the search index',
  /** A transient failure; `next` says when it is tried again. */
  waiting: (ollama: boolean, next: string, message: string): string =>
    `${ollama ? 'Waiting for Ollama' : 'Waiting to retry'} (${next}): ${message}`,
  retryingUnknown: (attempt: number, of: number): string =>
    `Retrying after an unexpected error (attempt ${attempt} of ${of}); the worker log has the details.`,
};
