import { DomainError } from '../common/errors/domain-error';

/** How to make a host's Ollama reachable; repeated in every "cannot reach" message because it is nearly always the fix. */
export const OLLAMA_REACHABILITY_HINT =
  'Is Ollama running? It must listen on 0.0.0.0 (OLLAMA_HOST=0.0.0.0:11434) to be reachable from containers; ' +
  'from Docker use http://172.17.0.1:11434 or http://host.docker.internal:11434, and set OLLAMA_BASE_URL.';

/**
 * Each error below also has a `forNonAdmins` view: the same facts without Ollama's address, its own words
 * (which may name hosts and paths) or the server's settings. This is where members are sent for the rest.
 */
const ASK_AN_ADMINISTRATOR = 'An administrator can see why on the Models page.';

/** Ollama cannot be reached: connection refused, unknown host, or no answer in time. */
export class OllamaUnavailableError extends DomainError {
  constructor(
    readonly url: string,
    reason: string,
    readonly timedOut = false,
  ) {
    super(
      'OLLAMA_UNAVAILABLE',
      timedOut
        ? `Ollama at ${url} did not answer in time (${reason}). It may be loading a model or overloaded; ` +
            `raise OLLAMA_TIMEOUT_SEC if this persists. ${OLLAMA_REACHABILITY_HINT}`
        : `Cannot reach Ollama at ${url} (${reason}). ${OLLAMA_REACHABILITY_HINT}`,
      503,
      true,
      { url, reason, timedOut },
    );
    this.forNonAdmins = {
      message: timedOut
        ? `Ollama, the model server, did not answer in time. Try again later. ${ASK_AN_ADMINISTRATOR}`
        : `Cannot reach Ollama, the model server. Try again later. ${ASK_AN_ADMINISTRATOR}`,
      details: { timedOut },
    };
  }
}

/** The model is not pulled on the Ollama server (404 + "not found"); the API never pulls by itself. */
export class OllamaModelNotFoundError extends DomainError {
  constructor(
    readonly model: string,
    url: string,
  ) {
    super(
      'OLLAMA_MODEL_NOT_FOUND',
      `The model "${model}" is not installed in Ollama at ${url}. Run: ollama pull ${model}`,
      503,
      false,
      { model, url },
    );
    this.forNonAdmins = {
      message: `The model "${model}" is not installed in Ollama. An administrator can install it: ollama pull ${model}`,
      details: { model },
    };
  }
}

/**
 * A model the caller chose (a knowledge base's embedding model) that Ollama does not have: bad input,
 * so 422, naming the model and the command that installs it. Says nothing about where Ollama runs.
 */
export class ModelNotInstalledError extends DomainError {
  constructor(readonly model: string) {
    super(
      'OLLAMA_MODEL_NOT_FOUND',
      `The model "${model}" is not installed in Ollama. Choose an installed model, or install this one ` +
        `on the Ollama host (an administrator can also do it on the Models page): ollama pull ${model}`,
      422,
      false,
      { model },
    );
  }
}

/** Ollama's request queue is full (503); trying again later works. */
export class OllamaBusyError extends DomainError {
  constructor(url: string, ollamaMessage: string) {
    super(
      'OLLAMA_BUSY',
      `Ollama at ${url} is busy (${ollamaMessage}). Try again shortly; on the Ollama host, ` +
        'OLLAMA_NUM_PARALLEL and OLLAMA_MAX_QUEUE control how many requests it takes at once.',
      503,
      true,
      { url },
    );
    this.forNonAdmins = { message: 'Ollama, the model server, is busy. Try again shortly.' };
  }
}

/** Any other error status from Ollama, with Ollama's own text. 5xx is worth retrying, 4xx is not. */
export class OllamaRequestError extends DomainError {
  constructor(
    readonly status: number,
    ollamaMessage: string,
    url: string,
    operation: string,
  ) {
    super(
      'OLLAMA_ERROR',
      `Ollama at ${url} failed to ${operation}` +
        (status ? ` (HTTP ${status})` : '') +
        `: ${ollamaMessage}` +
        (status === 404 ? '. Check that OLLAMA_BASE_URL points at an Ollama server (version 0.3.4 or newer).' : ''),
      502,
      status >= 500,
      { url, status, ollamaMessage },
    );
    this.forNonAdmins = {
      message: `Ollama failed to ${operation}${status ? ` (HTTP ${status})` : ''}. ${ASK_AN_ADMINISTRATOR}`,
      details: { status },
    };
  }
}

/** The stream broke after it started: an `{"error": ...}` line, or the connection closed before `done`. */
export class OllamaStreamError extends DomainError {
  constructor(url: string, operation: string, ollamaMessage: string, retryable: boolean) {
    super(
      'OLLAMA_STREAM_FAILED',
      `Ollama at ${url} stopped midway while trying to ${operation}: ${ollamaMessage}`,
      502,
      retryable,
      { url, ollamaMessage },
    );
    this.forNonAdmins = {
      message: `Ollama stopped midway while trying to ${operation}. Try again. ${ASK_AN_ADMINISTRATOR}`,
    };
  }
}

/** The caller cancelled (client went away, job stopped). Not a failure: callers should not retry or alarm. */
export class OllamaAbortedError extends DomainError {
  constructor(operation: string) {
    super('ABORTED', `The request to Ollama was cancelled (${operation}).`, 499, false);
  }
}

/** True for Ollama errors that a later attempt may fix (unreachable, busy, 5xx, dropped stream). */
export function isRetryableOllamaError(err: unknown): boolean {
  return err instanceof DomainError && err.retryable && err.code.startsWith('OLLAMA_');
}

/** What the client knew when a call failed; enough to turn any thrown value into one of the errors above. */
export interface OllamaFailureContext {
  url: string;
  /** Verb phrase for messages, e.g. "embed texts". */
  operation: string;
  model?: string;
  callerAborted: boolean;
  timedOut: boolean;
  timeoutSec: number;
  /** True once a stream's response headers arrived: later failures are mid-stream failures. */
  streamStarted: boolean;
}

/**
 * fetch (undici) errors may come from another realm (jest's vm contexts), where `instanceof Error` is false;
 * recognise errors by shape instead.
 */
function isErrorLike(err: unknown): err is Error {
  return (
    typeof err === 'object' &&
    err !== null &&
    typeof (err as Error).message === 'string' &&
    typeof (err as Error).name === 'string'
  );
}

interface OllamaResponseError extends Error {
  error: string;
  status_code: number;
}

/** ollama-js throws a `ResponseError` (not exported) for every non-2xx answer. */
function isResponseError(err: unknown): err is OllamaResponseError {
  return (
    isErrorLike(err) &&
    err.name === 'ResponseError' &&
    typeof (err as Partial<OllamaResponseError>).status_code === 'number'
  );
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

/** A short reason from a fetch failure, e.g. "connect ECONNREFUSED 127.0.0.1:11434"; undefined if not a network error. */
function networkFailureReason(err: unknown): string | undefined {
  if (!isErrorLike(err)) return undefined;
  const cause = (err as { cause?: unknown }).cause as
    { code?: unknown; message?: unknown; errors?: unknown } | undefined;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  // undici: TypeError("fetch failed") before the answer, TypeError("terminated") when the body is cut off.
  const isFetchTypeError = err.name === 'TypeError' && (err.message === 'fetch failed' || err.message === 'terminated');
  if (!isFetchTypeError && !(code && NETWORK_CODES.has(code))) return undefined;
  const causeMessage = typeof cause?.message === 'string' ? cause.message : '';
  if (causeMessage) return causeMessage;
  if (code) return code === 'ECONNREFUSED' ? 'connect ECONNREFUSED' : code;
  return err.message;
}

const MODEL_NOT_FOUND = /model\b.*\bnot found/i;

export function isModelNotFoundMessage(message: string): boolean {
  return MODEL_NOT_FOUND.test(message);
}

/** Turns whatever ollama-js or fetch threw into a DomainError a user can act on. */
export function toOllamaError(err: unknown, ctx: OllamaFailureContext): DomainError {
  if (err instanceof DomainError) return err;
  if (ctx.callerAborted) return new OllamaAbortedError(ctx.operation);
  if (ctx.timedOut) {
    return new OllamaUnavailableError(
      ctx.url,
      ctx.streamStarted ? `no data for ${ctx.timeoutSec} s` : `no answer within ${ctx.timeoutSec} s`,
      true,
    );
  }
  if (isResponseError(err)) {
    const status = err.status_code;
    const text = err.error || err.message;
    // Go's router says "404 page not found" for an unknown route, so "not found" alone is not enough.
    if (status === 404 && isModelNotFoundMessage(text))
      return new OllamaModelNotFoundError(ctx.model ?? 'unknown', ctx.url);
    if (status === 503) return new OllamaBusyError(ctx.url, text);
    return new OllamaRequestError(status, text, ctx.url, ctx.operation);
  }
  const networkReason = networkFailureReason(err);
  if (networkReason !== undefined) {
    return ctx.streamStarted
      ? new OllamaStreamError(ctx.url, ctx.operation, `the connection closed before the end (${networkReason})`, true)
      : new OllamaUnavailableError(ctx.url, networkReason);
  }
  const message = isErrorLike(err) ? err.message : String(err);
  if (isErrorLike(err) && err.name === 'AbortError') return new OllamaAbortedError(ctx.operation);
  if (ctx.streamStarted) {
    // ollama-js throws a plain Error for an {"error": ...} line, and this one when the body ends without done.
    const endedEarly = /did not receive done or success/i.test(message);
    return new OllamaStreamError(ctx.url, ctx.operation, message, endedEarly);
  }
  return new OllamaRequestError(0, message, ctx.url, ctx.operation);
}
