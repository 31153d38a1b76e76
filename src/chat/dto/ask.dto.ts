import { IsBoolean, IsIn, IsInt, IsOptional, IsUUID, Max, Min } from 'class-validator';
import { IsQueryText } from '../../retrieval/dto/query-text.decorator';
import { MAX_TOP_K, SEARCH_MODES, type SearchMode } from '../../retrieval/retrieval.types';

export class AskDto {
  /** The question, in any language; the answer comes in the same language. */
  @IsQueryText('question')
  question: string;

  /** Continue this conversation: its last turns go into the prompt and a follow-up is rewritten for search. */
  @IsOptional()
  @IsUUID('all', { message: 'conversationId must be a conversation id (a UUID)' })
  conversationId?: string;

  /** true (or `Accept: text/event-stream`): Server-Sent Events sources, delta…, done | error. */
  @IsOptional()
  @IsBoolean({ message: 'stream must be true or false' })
  stream?: boolean;

  /** Passages to give the model, 1 to 50 (the knowledge base's setting, else 5). */
  @IsOptional()
  @IsInt({ message: 'topK must be a whole number' })
  @Min(1, { message: 'topK must be at least 1' })
  @Max(MAX_TOP_K, { message: `topK must be at most ${MAX_TOP_K}` })
  topK?: number;

  @IsOptional()
  @IsIn(SEARCH_MODES, { message: `mode must be one of ${SEARCH_MODES.join(', ')}` })
  mode?: SearchMode;
}
