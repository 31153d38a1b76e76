import type { Response } from 'express';
import { DomainError } from '../common/errors/domain-error';
import type { AskEvent, AskResult } from './chat.types';

/** SSE comment sent while the model is silent (loading, thinking), so proxies keep the connection open. */
const KEEP_ALIVE_MS = 15_000;

/** Aborts when the client closes the connection before the response ended: Ollama then stops generating. */
export function abortOnDisconnect(res: Response): AbortSignal {
  const controller = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) controller.abort(new Error('client disconnected'));
  });
  return controller.signal;
}

/** Consumes an ask to the end (the non-streaming forms). A failure mid-answer is thrown as an HTTP error. */
export async function collectAnswer(events: AsyncIterable<AskEvent>): Promise<AskResult> {
  for await (const event of events) {
    if (event.type === 'done') return event.result;
    if (event.type === 'error') throw new DomainError(event.code, event.message, 502, true);
  }
  throw new DomainError('ABORTED', 'The answer was cancelled before it was complete', 499);
}

/** Writes an ask as JSON, or as Server-Sent Events: sources, delta…, then done or error. */
export async function sendAskResponse(res: Response, events: AsyncGenerator<AskEvent>, stream: boolean): Promise<void> {
  if (!stream) {
    const { finishReason: _finishReason, ...body } = await collectAnswer(events);
    res.status(200).json(body);
    return;
  }
  await writeEventStream(res, events, (event) => {
    switch (event.type) {
      case 'sources':
        return sse('sources', {
          citations: event.citations,
          conversationId: event.conversationId,
          messageId: event.messageId,
        });
      case 'delta':
        return sse('delta', { content: event.content });
      case 'done': {
        const { finishReason: _finishReason, ...done } = event.result;
        return sse('done', done);
      }
      case 'error':
        return sse('error', { code: event.code, message: event.message });
    }
  });
}

/**
 * Streams events as text/event-stream. Keeps reading after the client left (the events end quickly once
 * the request's signal aborted), so the answer's generator can store what was said.
 */
export async function writeEventStream<E>(
  res: Response,
  events: AsyncIterable<E>,
  format: (event: E) => string,
  onError: (code: string, message: string) => string = (code, message) => sse('error', { code, message }),
): Promise<void> {
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
  try {
    for await (const event of events) write(format(event));
  } catch (err) {
    const known = err instanceof DomainError;
    write(onError(known ? err.code : 'INTERNAL_ERROR', known ? err.message : 'The answer broke off unexpectedly'));
  } finally {
    clearInterval(keepAlive);
    if (!res.writableEnded) res.end();
  }
}

export function sse(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}
