/**
 * An error a user can act on. Services throw these; the global exception filter maps them to HTTP
 * as `{statusCode, error: code, message}`. `retryable` tells job processors to back off and try again.
 */
export class DomainError extends Error {
  /**
   * What callers who are not administrators are told instead, when `message` or `details` name the
   * server's internals (e.g. the Ollama address). Unset: everyone is told the same.
   */
  forNonAdmins?: ErrorView;

  constructor(
    readonly code: string,
    message: string,
    readonly httpStatus = 400,
    readonly retryable = false,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class NotFoundError extends DomainError {
  constructor(what: string, id: string) {
    super('NOT_FOUND', `${what} ${id} was not found`, 404);
  }
}

export class ValidationFailedError extends DomainError {
  constructor(message: string, code = 'VALIDATION_FAILED') {
    super(code, message, 400);
  }
}

export class ConflictError extends DomainError {
  constructor(message: string, code = 'CONFLICT') {
    super(code, message, 409);
  }
}

/** The words and extra fields of an error as one audience sees them. */
export interface ErrorView {
  message: string;
  details?: Record<string, unknown>;
}

/** The error as the caller may see it: administrators see everything, others the redacted view if there is one. */
export function errorViewFor(err: DomainError, callerIsAdmin: boolean): ErrorView {
  return !callerIsAdmin && err.forNonAdmins ? err.forNonAdmins : { message: err.message, details: err.details };
}
