import type { Response } from 'express';
import { isObservable, Observable } from 'rxjs';
import { DomainError, errorViewFor } from '../errors/domain-error';
import { callerIsAdmin } from './all-exceptions.filter';

/** A comment line this often keeps proxies from closing a stream that is silent for a while. */
const KEEP_ALIVE_MS = 15_000;

/**
 * How a stream is framed on the wire: Server-Sent Events (text/event-stream, with keep-alive comments) or
 * NDJSON (application/x-ndjson, Ollama's streams: one JSON object a line, so nothing else may be written).
 */
export type StreamWire = 'sse' | 'ndjson';

/** An open streaming response. */
export interface EventStream {
  /** Writes raw stream text; a no-op once the response ended or the client left. */
  write(text: string): void;
  /** Writes one named event with JSON data. */
  send(event: string, data: unknown): void;
  /** Stops the keep-alive and ends the response (safe to call twice). */
  end(): void;
}

/** One named event in the wire format. */
export function sseEvent(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * Starts a streaming response: sends status and headers at once (so the client sees the stream open
 * before the first event) and, for SSE, writes keep-alive comments until the response closes.
 */
export function openEventStream(res: Response, wire: StreamWire = 'sse'): EventStream {
  res.status(200);
  res.setHeader(
    'Content-Type',
    wire === 'sse' ? 'text/event-stream; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
  );
  res.setHeader('Cache-Control', 'no-cache, no-transform');
  res.setHeader('Connection', 'keep-alive');
  res.setHeader('X-Accel-Buffering', 'no'); // nginx: do not buffer the stream
  res.flushHeaders();
  const write = (text: string): void => {
    if (!res.writableEnded && !res.destroyed) res.write(text);
  };
  const keepAlive = wire === 'sse' ? setInterval(() => write(': keep-alive\n\n'), KEEP_ALIVE_MS) : undefined;
  const stopKeepAlive = (): void => clearInterval(keepAlive);
  res.on('close', stopKeepAlive);
  return {
    write,
    send: (event, data) => write(sseEvent(event, data)),
    end: () => {
      stopKeepAlive();
      if (!res.writableEnded) res.end();
    },
  };
}

/** One named event with JSON data, the form most streams send. */
export interface ServerSentEvent {
  event: string;
  data: unknown;
}

/** What a controller hands the responder: the events, as an async iterable or an observable. */
export type EventSourceInput<T> = AsyncIterable<T> | Observable<T>;

export interface SendEventStreamOptions<T> {
  /** `sse` (default) or `ndjson`; `format` and `onError` must then write one JSON line each. */
  wire?: StreamWire;
  /** Turns an item into stream text; default: `event:` and JSON `data:` of a ServerSentEvent. */
  format?: (item: T) => string;
  /** Sent first as `retry:`: how many milliseconds an EventSource waits before it reconnects. */
  retryMs?: number;
  /** What a thrown error becomes: one last piece of stream text (default: an `error` event {code, message}). */
  onError?: (code: string, message: string) => string;
}

/**
 * The one streaming responder (SSE, and NDJSON for the Ollama-compatible API): controllers hand it the
 * events (or a promise of them, or a function that gets a signal aborted when the client leaves and returns
 * either), services never touch the response. It
 * listens for the client leaving before anything else happens, so:
 * - a promise that rejects before the stream opens is an ordinary HTTP error (the exception filter answers
 *   it as JSON), e.g. 503 when Ollama is down;
 * - a client that left before the stream opened gets nothing: no headers, no keep-alive timer; an
 *   observable is never subscribed, an async iterable is drained unwritten (its producer records the end);
 * - an observable is unsubscribed the moment the client leaves (its teardown ends subscriptions);
 * - an async iterable is read to its end even after the client left (writes stop), so its producer can
 *   finish its own work, e.g. store what was said; it should watch the signal and end soon.
 * A throw from the events becomes one last event (`onError`); the response then ends.
 */
export async function sendEventStream<T = ServerSentEvent>(
  res: Response,
  source:
    | EventSourceInput<T>
    | Promise<EventSourceInput<T>>
    | ((clientLeft: AbortSignal) => EventSourceInput<T> | Promise<EventSourceInput<T>>),
  options: SendEventStreamOptions<T> = {},
): Promise<void> {
  const clientLeft = abortOnDisconnect(res);
  let events: EventSourceInput<T>;
  try {
    events = await (typeof source === 'function' ? source(clientLeft) : source);
  } catch (err) {
    if (clientLeft.aborted) return; // nobody to tell
    throw err;
  }
  if (clientLeft.aborted) {
    // Nobody to answer: no headers, no timer; an iterable is still drained so its producer can finish.
    if (!isObservable(events)) await drain(events);
    return;
  }

  const format =
    options.format ?? ((item: T) => sseEvent((item as ServerSentEvent).event, (item as ServerSentEvent).data));
  const onError = options.onError ?? ((code: string, message: string) => sseEvent('error', { code, message }));
  const stream = openEventStream(res, options.wire);
  if (options.retryMs) stream.write(`retry: ${options.retryMs}\n\n`);
  try {
    if (isObservable(events)) await writeUntilLeft(events, (item) => stream.write(format(item)), clientLeft);
    else for await (const item of events) stream.write(format(item));
  } catch (err) {
    const known = err instanceof DomainError;
    stream.write(
      onError(
        known ? err.code : 'INTERNAL_ERROR',
        known ? errorViewFor(err, callerIsAdmin(res.req)).message : 'The stream broke off unexpectedly',
      ),
    );
  } finally {
    stream.end();
  }
}

/** Reads an async iterable to its end, discarding items and a final error (the client is gone). */
async function drain<T>(events: AsyncIterable<T>): Promise<void> {
  try {
    for await (const item of events) void item;
  } catch {
    // The producer already recorded its own failure; there is nobody left to tell.
  }
}

/** Writes each item until the observable completes (resolves), fails (rejects) or the client leaves (unsubscribes). */
function writeUntilLeft<T>(events: Observable<T>, write: (item: T) => void, clientLeft: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (clientLeft.aborted) return resolve();
    const subscription = events.subscribe({ next: write, error: reject, complete: resolve });
    clientLeft.addEventListener(
      'abort',
      () => {
        subscription.unsubscribe();
        resolve();
      },
      { once: true },
    );
  });
}

/**
 * Aborts when the client closes the connection before the response ended (also when it already has), so
 * the producer can stop early.
 */
export function abortOnDisconnect(res: Response): AbortSignal {
  const controller = new AbortController();
  const abort = (): void => controller.abort(new Error('client disconnected'));
  if (res.destroyed && !res.writableFinished) abort();
  else
    res.on('close', () => {
      if (!res.writableFinished) abort();
    });
  return controller.signal;
}
