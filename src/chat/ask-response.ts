import type { Response } from 'express';
import { DomainError } from '../common/errors/domain-error';
import { sseEvent, writeEventStream } from '../common/http/server-sent-events';
import type { AskEvent, AskResult } from './chat.types';

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
        return sseEvent('sources', {
          citations: event.citations,
          conversationId: event.conversationId,
          messageId: event.messageId,
        });
      case 'delta':
        return sseEvent('delta', { content: event.content });
      case 'done': {
        const { finishReason: _finishReason, ...done } = event.result;
        return sseEvent('done', done);
      }
      case 'error':
        return sseEvent('error', { code: event.code, message: event.message });
    }
  });
}
