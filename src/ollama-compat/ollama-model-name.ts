import { DomainError } from '../common/errors/domain-error';

/** Every knowledge base is one model with one tag, as Ollama lists a model pulled without a tag. */
export const OLLAMA_TAG = 'latest';

/** `r-manuals` → `r-manuals:latest`, the name /api/tags lists and responses echo. */
export function ollamaModelName(slug: string): string {
  return `${slug}:${OLLAMA_TAG}`;
}

/**
 * The slug a model name asks for: Ollama ignores case and takes a missing tag as `latest`, so
 * `R-Manuals`, `r-manuals` and `r-manuals:latest` are one model. Any other tag names no knowledge base.
 */
export function slugOfModelName(raw: unknown): unknown {
  if (typeof raw !== 'string') return raw;
  const name = raw.trim().toLowerCase();
  return name.endsWith(`:${OLLAMA_TAG}`) ? name.slice(0, -OLLAMA_TAG.length - 1) : name;
}

/** Ollama's answer for a model it does not have (also one the API key may not ask: existence is private). */
export class OllamaModelUnknownError extends DomainError {
  constructor(model: string) {
    super('MODEL_NOT_FOUND', `model "${model}" not found`, 404);
  }
}

/** Ollama's 400 for a request without a model name. */
export class OllamaModelRequiredError extends DomainError {
  constructor() {
    super('MODEL_REQUIRED', 'model is required', 400);
  }
}

/** For @KnowledgeBaseAccess: the error when the named model is no knowledge base the caller may ask. */
export function modelNotFound(raw: unknown): Error {
  if (typeof raw !== 'string' || !raw.trim()) return new OllamaModelRequiredError();
  return new OllamaModelUnknownError(raw.slice(0, 200));
}

/** Ollama's 400 when a model lacks a capability the request needs (thinking, tools, structured output). */
export class OllamaCapabilityError extends DomainError {
  constructor(model: string, what: string, why: string) {
    super('UNSUPPORTED', `"${model}" does not support ${what}: ${why}`, 400);
  }
}
