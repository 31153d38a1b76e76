import { IsIn, IsInt, IsNumber, IsOptional, Max, Min } from 'class-validator';
import { MAX_TOP_K, SEARCH_MODES, type SearchMode } from '../retrieval.types';
import { IsQueryText } from './query-text.decorator';

export class SearchDto {
  /** What to look for, in any language. */
  @IsQueryText('query')
  query: string;

  /** hybrid (default), vector or keyword; the knowledge base's setting when left out. */
  @IsOptional()
  @IsIn(SEARCH_MODES, { message: `mode must be one of ${SEARCH_MODES.join(', ')}` })
  mode?: SearchMode;

  /** How many passages to return, 1 to 50 (default 5, or the knowledge base's setting). */
  @IsOptional()
  @IsInt({ message: 'topK must be a whole number' })
  @Min(1, { message: 'topK must be at least 1' })
  @Max(MAX_TOP_K, { message: `topK must be at most ${MAX_TOP_K}` })
  topK?: number;

  /** Minimum cosine similarity, -1 to 1; keyword matches always count. */
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'minScore must be a number' })
  @Min(-1, { message: 'minScore must be at least -1' })
  @Max(1, { message: 'minScore must be at most 1' })
  minScore?: number;
}
