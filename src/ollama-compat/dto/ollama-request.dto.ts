import { Type } from 'class-transformer';
import {
  Allow,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';

/**
 * The `options` zhiku passes through to Ollama; Ollama's other options (top_k, seed, stop…) are accepted
 * and ignored, as Ollama ignores options it does not know.
 */
export class OllamaOptionsDto {
  @IsOptional() @IsNumber() @Min(0) @Max(2) temperature?: number;
  @IsOptional() @IsNumber() @Min(0) @Max(1) top_p?: number;
  /** -1 (no limit) and -2 (fill the context) leave the answer's length to the model. */
  @IsOptional() @IsInt() @Min(-2) @Max(131_072) num_predict?: number;
  @IsOptional() @IsInt() @Min(512) @Max(1_048_576) num_ctx?: number;
}

export class OllamaMessageDto {
  @IsIn(['system', 'user', 'assistant', 'tool'], {
    message: 'messages[].role must be one of system, user, assistant, tool',
  })
  role: 'system' | 'user' | 'assistant' | 'tool';

  @IsOptional()
  @IsString({ message: 'messages[].content must be a string' })
  content?: string;

  /** Pictures are not read: knowledge bases answer from text. */
  @Allow() images?: unknown;
  @Allow() tool_calls?: unknown;
  @Allow() thinking?: unknown;
}

/** What /api/chat and /api/generate share. */
class OllamaRequestBase {
  /** `<knowledge-base-slug>:latest` (or the slug alone), as GET /api/tags lists it. */
  @IsString({ message: 'model is required' })
  @MaxLength(200)
  model: string;

  /** Default true, as in Ollama. */
  @IsOptional() @IsBoolean({ message: 'stream must be true or false' }) stream?: boolean;

  @IsOptional()
  @ValidateNested()
  @Type(() => OllamaOptionsDto)
  options?: OllamaOptionsDto;

  /** Refused unless false: a knowledge base does not think aloud. */
  @Allow() think?: unknown;
  /** Refused: answers are text with citations, not JSON. */
  @Allow() format?: unknown;
  /** Accepted and ignored (zhiku does not load or unload models); `0` with nothing to ask answers "unload". */
  @Allow() keep_alive?: unknown;
}

/** POST /api/chat. Other fields Ollama knows (template, truncate, logprobs…) are accepted and ignored. */
export class OllamaChatDto extends OllamaRequestBase {
  /** Empty or left out: nothing is asked, the answer is Ollama's "load" (or "unload") reply. */
  @IsOptional()
  @IsArray({ message: 'messages must be an array' })
  @ValidateNested({ each: true })
  @Type(() => OllamaMessageDto)
  messages?: OllamaMessageDto[];

  /** Refused when not empty: a knowledge base calls no tools. */
  @Allow() tools?: unknown;
}

/** POST /api/generate. `system`, `template`, `raw`, `suffix`, `context` and `images` are ignored. */
export class OllamaGenerateDto extends OllamaRequestBase {
  /** The question; empty or left out: Ollama's "load" (or "unload") reply. */
  @IsOptional() @IsString({ message: 'prompt must be a string' }) prompt?: string;
}

/** POST /api/show (ollama-js sends `model`). */
export class OllamaShowDto {
  @IsString({ message: 'model is required' })
  @MaxLength(200)
  model: string;
}
