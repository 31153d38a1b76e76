import { DomainError, errorViewFor } from '../common/errors/domain-error';
import { isDatabaseUnavailable, isTransactionConflict, sqlState } from '../database/postgres-errors';
import { isRetryableOllamaError, OllamaRequestError } from '../llm/ollama-errors';

/**
 * transient: the world, not the document (Ollama down, busy or slow; the database unreachable or a
 * deadlock) — wait and retry with backoff, for as long as it takes. permanent: the document itself (it
 * cannot be parsed, its text cannot be stored, it is too large for the model) — `failed` at once.
 * unknown: anything else — a few attempts, then `failed` with INGESTION_FAILED.
 */
export type FailureKind = 'transient' | 'permanent' | 'unknown';

export interface IngestionFailure {
  kind: FailureKind;
  code: string;
  /** For people (statusDetail, error.message): never raw driver text, which goes to the log. */
  message: string;
}

/** Attempts for an error nobody recognised; a permanent fault would only fail the same way again. */
export const UNKNOWN_FAILURE_ATTEMPTS = 3;

const CONTEXT_OVERFLOW = /context length|too long|exceeds|input length/i;

/** Turns whatever an ingestion attempt threw into what it means for the document and what to tell its owner. */
export function classifyIngestionFailure(err: unknown): IngestionFailure {
  if (err instanceof DomainError) return classifyDomainError(err);
  if (isTransactionConflict(err)) {
    return {
      kind: 'transient',
      code: 'DATABASE_CONFLICT',
      message: 'The database stopped a write that collided with another one at the same moment.',
    };
  }
  if (isDatabaseUnavailable(err)) {
    return {
      kind: 'transient',
      code: 'DATABASE_UNAVAILABLE',
      message: 'The database could not be reached or dropped the connection.',
    };
  }
  const state = sqlState(err);
  if (state) return classifySqlState(state);
  const systemCode = (err as { code?: unknown; syscall?: unknown } | null)?.code;
  if (typeof systemCode === 'string' && ['ENOSPC', 'EMFILE', 'ENFILE', 'EAGAIN', 'EBUSY'].includes(systemCode)) {
    return {
      kind: 'transient',
      code: 'SERVER_RESOURCES',
      message: `The server is short of ${systemCode === 'ENOSPC' ? 'disk space' : 'open files'} (${systemCode}).`,
    };
  }
  return {
    kind: 'unknown',
    code: 'INGESTION_FAILED',
    message:
      'An unexpected error stopped the work on this document; the worker log has the details. ' +
      'Reindex the document to try again; if it fails the same way, please report it with the file.',
  };
}

function classifyDomainError(err: DomainError): IngestionFailure {
  if (isRetryableOllamaError(err) || err.retryable) return { kind: 'transient', code: err.code, message: shown(err) };
  if (
    err instanceof OllamaRequestError &&
    err.status >= 400 &&
    err.status < 500 &&
    CONTEXT_OVERFLOW.test(err.message)
  ) {
    return {
      kind: 'permanent',
      code: 'TEXT_TOO_LONG_FOR_MODEL',
      message:
        "A passage of this document is longer than the embedding model accepts. Lower the knowledge base's " +
        'chunk size (PATCH /api/knowledge-bases/:id {"chunkSize": …}) and reindex the document.',
    };
  }
  return { kind: 'permanent', code: err.code, message: shown(err) };
}

/** Database errors that the document itself causes, by SQLSTATE class; the rest are unknown. */
function classifySqlState(state: string): IngestionFailure {
  if (state.startsWith('22')) {
    return {
      kind: 'permanent',
      code: 'UNSTORABLE_TEXT',
      message:
        "The database refused part of this document's text (a character or value it cannot store). " +
        "This is a bug in zhiku's text cleaning: please report it with the file.",
    };
  }
  if (state.startsWith('23')) {
    return {
      kind: 'permanent',
      code: 'CONSTRAINT_VIOLATION',
      message:
        "Storing this document broke one of the database's rules (for example a value out of range). " +
        'This is a bug in zhiku: please report it with the file.',
    };
  }
  if (state.startsWith('54')) {
    return {
      kind: 'permanent',
      code: 'TOO_LARGE_TO_INDEX',
      message:
        "A passage of this document is too large for the database's search index. " +
        "Lower the knowledge base's chunk size and reindex the document.",
    };
  }
  if (state === '57014' || state === '55P03') {
    return {
      kind: 'transient',
      code: 'DATABASE_BUSY',
      message: 'The database was too busy to finish a statement in time.',
    };
  }
  return {
    kind: 'unknown',
    code: 'INGESTION_FAILED',
    message:
      'An unexpected database error stopped the work on this document; the worker log has the details. ' +
      'Reindex the document to try again; if it fails the same way, please report it with the file.',
  };
}

/** A document's status is read by every member: Ollama's address and own words are for admins only. */
function shown(err: DomainError): string {
  return errorViewFor(err, false).message;
}
