import { IsNumber, IsOptional, Max, Min } from 'class-validator';
import { RetrievalOptionsDto } from '../../common/dto/retrieval-options.dto';
import { IsQueryText } from './query-text.decorator';

/** mode and topK (passages to return) come from RetrievalOptionsDto. */
export class SearchDto extends RetrievalOptionsDto {
  /** What to look for, in any language. */
  @IsQueryText('query')
  query: string;

  /** Minimum cosine similarity, -1 to 1; keyword matches always count. */
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'minScore must be a number' })
  @Min(-1, { message: 'minScore must be at least -1' })
  @Max(1, { message: 'minScore must be at most 1' })
  minScore?: number;
}
