import { DomainError } from '../common/errors/domain-error';

/** 401: no credentials, or credentials that are not (or no longer) valid. */
export class UnauthenticatedError extends DomainError {
  constructor(message: string, code = 'UNAUTHENTICATED') {
    super(code, message, 401);
  }
}

/** 403: the caller is known and may see the thing, but not do this. */
export class ForbiddenError extends DomainError {
  constructor(message: string, code = 'FORBIDDEN') {
    super(code, message, 403);
  }
}

/** 503 until the first administrator exists (GET/POST /api/setup). */
export class SetupRequiredError extends DomainError {
  constructor() {
    super(
      'SETUP_REQUIRED',
      'zhiku has no accounts yet: create the first administrator in the web UI (or POST /api/setup {email, password}), or start it with ADMIN_EMAIL and ADMIN_PASSWORD set',
      503,
    );
  }
}

/** 429 with the seconds to wait, also sent as Retry-After. */
export class TooManyRequestsError extends DomainError {
  constructor(
    code: string,
    message: string,
    readonly retryAfterSec: number,
  ) {
    super(code, message, 429, true, { retryAfterSec });
  }
}
