import { IsBoolean, IsOptional, IsUUID } from 'class-validator';
import { RetrievalOptionsDto } from '../../common/dto/retrieval-options.dto';
import { IsQueryText } from '../../retrieval/dto/query-text.decorator';

/** topK (passages to give the model) and mode come from RetrievalOptionsDto. */
export class AskDto extends RetrievalOptionsDto {
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

  /** With `stream: true`: also `sentence` events {index, text, citations}, each complete sentence once, for speech. */
  @IsOptional()
  @IsBoolean({ message: 'sentences must be true or false' })
  sentences?: boolean;
}
