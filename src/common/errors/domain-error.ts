/**
 * An error a user can act on. Services throw these; the global exception filter maps them to HTTP
 * as `{statusCode, error: code, message}`. `retryable` tells job processors to back off and try again.
 */
export class DomainError extends Error {
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
