import type { Response } from 'express';
import { DomainError, errorViewFor } from '../errors/domain-error';
import { callerIsAdmin } from './all-exceptions.filter';

/** A comment line this often keeps proxies from closing a stream that is silent for a while. */
const KEEP_ALIVE_MS = 15_000;

/** An open text/event-stream response. */
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
 * Starts a text/event-stream response: sends status and headers at once (so the client sees the stream
 * open before the first event) and writes keep-alive comments until the response closes.
 */
export function openEventStream(res: Response): EventStream {
  res.status(200);
  res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
  res.setHeader('Cache-Control', 'no-cache, no-transform');
  res.setHeader('Connection', 'keep-alive');
  res.setHeader('X-Accel-Buffering', 'no'); // nginx: do not buffer the stream
  res.flushHeaders();
  const write = (text: string): void => {
    if (!res.writableEnded && !res.destroyed) res.write(text);
  };
  const keepAlive = setInterval(() => write(': keep-alive\n\n'), KEEP_ALIVE_MS);
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

/**
 * Streams events as text/event-stream, then ends the response. Keeps reading after the client left (the
 * events end quickly once the request's signal aborted), so the producer can finish its own work, e.g.
 * store what was said. A throw from the events becomes one last event written by `onError`.
 */
export async function writeEventStream<E>(
  res: Response,
  events: AsyncIterable<E>,
  format: (event: E) => string,
  onError: (code: string, message: string) => string = (code, message) => sseEvent('error', { code, message }),
): Promise<void> {
  const stream = openEventStream(res);
  try {
    for await (const event of events) stream.write(format(event));
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

/** Aborts when the client closes the connection before the response ended, so the producer can stop early. */
export function abortOnDisconnect(res: Response): AbortSignal {
  const controller = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) controller.abort(new Error('client disconnected'));
  });
  return controller.signal;
}
