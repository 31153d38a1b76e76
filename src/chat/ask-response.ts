import { DomainError } from '../common/errors/domain-error';
import { sseEvent } from '../common/http/server-sent-events';
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

/** The REST answer as JSON (without the internal finish reason). */
export function askResponseBody(result: AskResult): Omit<AskResult, 'finishReason'> {
  const { finishReason: _finishReason, ...body } = result;
  return body;
}

/** An ask's events for REST SSE, with a `sentence` event after each complete sentence when asked for (speech). */
export function askEventsForSse(
  events: AsyncIterable<AskEvent>,
  sentences: boolean | undefined,
): AsyncIterable<AskEvent | SentenceEvent> {
  return sentences ? withSentenceEvents(events) : events;
}

/** One answer event as a REST Server-Sent Event: sources, delta… (and sentence…), then done or error. */
export function askSse(event: AskEvent | SentenceEvent): string {
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
    case 'done':
      return sseEvent('done', askResponseBody(event.result));
    case 'error':
      return sseEvent('error', { code: event.code, message: event.message });
  }
}
