import { DomainError } from '../common/errors/domain-error';

/** Codes a failed document can carry; each message tells the user what is wrong and what to do. */
export const INGESTION_ERROR_CODES = [
  'NO_TEXT_LAYER',
  'NO_TEXT',
  'UNREADABLE_TEXT',
  'ENCRYPTED_PDF',
  'CORRUPT_FILE',
  'EMPTY_DOCUMENT',
  'UNSUPPORTED_ENCODING',
  'FILE_MISSING',
  'OLLAMA_MODEL_NOT_FOUND',
  'EMBEDDING_DIMENSION_MISMATCH',
  'OCR_FAILED',
  'INGESTION_FAILED',
] as const;
export type IngestionErrorCode = (typeof INGESTION_ERROR_CODES)[number];

/** A permanent problem with one document: it fails at once, without retries. */
export class IngestionError extends DomainError {
  constructor(code: IngestionErrorCode, message: string) {
    super(code, message, 422, false);
  }
}

/** The document (or its knowledge base) was deleted while it was being processed. */
export class IngestionCancelledError extends Error {
  constructor(readonly documentId: string) {
    super(`document ${documentId} was deleted while it was being processed`);
    this.name = 'IngestionCancelledError';
  }
}
