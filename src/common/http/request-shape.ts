import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ValidationFailedError } from '../errors/domain-error';

/** Objects and arrays nested deeper than this are refused: no request of ours needs more, and deeper ones overflow the validation pipe's stack. */
export const MAX_JSON_DEPTH = 32;
/** Keys one object may have. */
export const MAX_JSON_KEYS = 1_000;
/** Items one array may have. */
export const MAX_JSON_ARRAY_ITEMS = 10_000;

/**
 * Keys that name JavaScript's object machinery. class-transformer drops them silently, so they would pass
 * where every other unknown field gets 400: they get the same 400 instead, at any depth.
 */
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Refuses, with a 400 that names the problem, bodies and query strings that no handler should see: nested
 * deeper than MAX_JSON_DEPTH, objects or arrays wider than the limits above, and `__proto__`/`constructor`/
 * `prototype` keys. Mounted right after the body parsers, so it runs before any guard or pipe; the walk is
 * iterative, so depth costs no stack. (Debris such as U+0000 in text is cleaned afterwards, in one place:
 * CleanTextMiddleware.)
 */
export function refuseUnsafeRequestShapes(): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction): void => {
    next(findProblem(req.query) ?? findProblem(req.body));
  };
}

interface Pending {
  value: unknown;
  depth: number;
  /** Where the value sits, as the validation pipe names it (`settings`, `messages.0`). */
  path: string;
}

function findProblem(root: unknown): ValidationFailedError | undefined {
  const stack: Pending[] = [{ value: root, depth: 0, path: '' }];
  while (stack.length) {
    const { value, depth, path } = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (depth >= MAX_JSON_DEPTH) {
      return new ValidationFailedError(
        `The request body is nested deeper than ${MAX_JSON_DEPTH} levels`,
        'JSON_TOO_DEEP',
      );
    }
    const where = path ? ` (at ${path})` : '';
    if (Array.isArray(value)) {
      if (value.length > MAX_JSON_ARRAY_ITEMS) {
        return new ValidationFailedError(
          `An array in the request has more than ${MAX_JSON_ARRAY_ITEMS.toLocaleString('en')} items${where}`,
          'JSON_ARRAY_TOO_LONG',
        );
      }
      value.forEach((item, i) => stack.push({ value: item, depth: depth + 1, path: join(path, String(i)) }));
      continue;
    }
    const keys = Object.keys(value);
    if (keys.length > MAX_JSON_KEYS) {
      return new ValidationFailedError(
        `An object in the request has more than ${MAX_JSON_KEYS.toLocaleString('en')} keys${where}`,
        'JSON_TOO_MANY_KEYS',
      );
    }
    for (const key of keys) {
      // Worded as the validation pipe words any other unknown field.
      if (PROTOTYPE_KEYS.has(key)) return new ValidationFailedError(join(path, `property ${key} should not exist`));
      stack.push({ value: (value as Record<string, unknown>)[key], depth: depth + 1, path: join(path, key) });
    }
  }
  return undefined;
}

function join(path: string, part: string): string {
  return path ? `${path}.${part}` : part;
}
