import { Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { ValidationFailedError } from '../common/errors/domain-error';

/**
 * PostgreSQL text cannot hold U+0000, so a NUL anywhere in a JSON body or query string would surface
 * as a database error (a 500). Refuse such requests up front with a 400 that says why.
 */
@Injectable()
export class RejectNulBytesMiddleware implements NestMiddleware {
  use(req: Request, _res: Response, next: NextFunction): void {
    if (req.originalUrl.includes('%00') || req.originalUrl.includes('\u0000') || containsNul(req.body, 0)) {
      throw new ValidationFailedError('Text must not contain NUL characters (\\u0000)', 'NUL_CHARACTER');
    }
    next();
  }
}

function containsNul(value: unknown, depth: number): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (depth > 32 || value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.some((v) => containsNul(v, depth + 1));
  return Object.entries(value).some(([k, v]) => k.includes('\u0000') || containsNul(v, depth + 1));
}
