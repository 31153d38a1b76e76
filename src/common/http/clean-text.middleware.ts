import { Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { ValidationFailedError } from '../errors/domain-error';
import { cleanStrings } from '../text/clean-text';
import { secretFields } from '../validation/text-fields';

/**
 * Every JSON or form body is cleaned here, before guards, pipes and handlers see it (cleanText: U+0000,
 * controls, unpaired surrogates and other debris go), so no question, chunk edit, title or name can carry
 * them into PostgreSQL, which refuses U+0000 outright. Fields declared with @SecretText (passwords) are
 * left exactly as sent; their DTOs refuse new secrets with debris. A URL is not text but an address (ids,
 * slugs, filters): one with a NUL is refused, because quietly changing it could address something else.
 */
@Injectable()
export class CleanTextMiddleware implements NestMiddleware {
  use(req: Request, _res: Response, next: NextFunction): void {
    if (/%00|\u0000/.test(req.originalUrl)) {
      throw new ValidationFailedError('The address must not contain NUL characters (%00)', 'NUL_CHARACTER');
    }
    if (req.body !== null && typeof req.body === 'object') cleanStrings(req.body, secretFields());
    next();
  }
}
