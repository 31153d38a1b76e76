import { ValidationFailedError } from '../common/errors/domain-error';
import { MAX_QUERY_CHARS } from '../retrieval/retrieval.types';
import type { AskInput } from './chat.types';

/** One message of a chat API's conversation, its content already as text. */
export interface ChatApiMessage {
  role: string;
  content: string;
}

/**
 * The question and history of a chat API's messages (/v1, /ollama): the last message must be the user's
 * question; earlier user and assistant messages are the history. Client system prompts are not used: the
 * knowledge base's own instructions keep answers grounded.
 */
export function questionAndHistory(messages: ChatApiMessage[]): Pick<AskInput, 'question' | 'history'> {
  const last = messages[messages.length - 1];
  if (!last || last.role !== 'user' || !last.content.trim()) {
    throw new ValidationFailedError('The last message must be a user message with the question as text');
  }
  if (last.content.length > MAX_QUERY_CHARS) {
    throw new ValidationFailedError(`The question is too long: at most ${MAX_QUERY_CHARS} characters`);
  }
  const history = messages
    .slice(0, -1)
    .filter((m) => m.role === 'user' || m.role === 'assistant')
    .map((m) => ({ role: m.role as 'user' | 'assistant', content: m.content }))
    .filter((m) => m.content.trim());
  return { question: last.content, history };
}
