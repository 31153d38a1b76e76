import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { MAX_TOP_K, SEARCH_MODES, type SearchMode } from '../../retrieval/retrieval.types';

/** The retrieval options that a search and a question share. */
export abstract class RetrievalOptionsDto {
  /** How many passages to use, 1 to 50 (default 5, or the knowledge base's setting). */
  @IsOptional()
  @IsInt({ message: 'topK must be a whole number' })
  @Min(1, { message: 'topK must be at least 1' })
  @Max(MAX_TOP_K, { message: `topK must be at most ${MAX_TOP_K}` })
  topK?: number;

  /** hybrid (default), vector or keyword; the knowledge base's setting when left out. */
  @IsOptional()
  @IsIn(SEARCH_MODES, { message: `mode must be one of ${SEARCH_MODES.join(', ')}` })
  mode?: SearchMode;
}
