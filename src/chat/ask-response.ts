import type { Response } from 'express';
import { DomainError } from '../common/errors/domain-error';
import { sseEvent, writeEventStream } from '../common/http/server-sent-events';
import type { AskEvent, AskResult } from './chat.types';
import { SentenceEvent, withSentenceEvents } from './sentence-events';

/** Consumes an ask to the end (the non-streaming forms). A failure mid-answer is thrown as an HTTP error. */
export async function collectAnswer(events: AsyncIterable<AskEvent>): Promise<AskResult> {
  for await (const event of events) {
    if (event.type === 'done') return event.result;
    if (event.type === 'error') throw new DomainError(event.code, event.message, 502, true);
  }
  throw new DomainError('ABORTED', 'The answer was cancelled before it was complete', 499);
}

/**
 * Writes an ask as JSON, or as Server-Sent Events: sources, delta…, then done or error; with `sentences`,
 * also a `sentence` event for each complete sentence (for speech).
 */
export async function sendAskResponse(
  res: Response,
  events: AsyncGenerator<AskEvent>,
  stream: boolean,
  options: { sentences?: boolean } = {},
): Promise<void> {
  if (!stream) {
    const { finishReason: _finishReason, ...body } = await collectAnswer(events);
    res.status(200).json(body);
    return;
  }
  const withSentences: AsyncIterable<AskEvent | SentenceEvent> = options.sentences
    ? withSentenceEvents(events)
    : events;
  await writeEventStream(res, withSentences, (event) => {
    switch (event.type) {
      case 'sentence':
        return sseEvent('sentence', { index: event.index, text: event.text, citations: event.citations });
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
