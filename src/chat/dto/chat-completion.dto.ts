import { Type } from 'class-transformer';
import {
  Allow,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';

export class ChatCompletionMessageDto {
  @IsIn(['system', 'developer', 'user', 'assistant', 'tool'], {
    message: 'messages[].role must be one of system, developer, user, assistant, tool',
  })
  role: 'system' | 'developer' | 'user' | 'assistant' | 'tool';

  /** A string, or an array of parts of which the `text` ones are read. */
  @Allow()
  content: unknown;
}

/**
 * The fields of OpenAI's chat completion request that zhiku reads. Other fields (n, user, seed, tools…)
 * are accepted and ignored, as OpenAI-compatible servers do, so existing clients work unchanged.
 */
export class ChatCompletionDto {
  /** The knowledge base's slug (see GET /v1/models). */
  @IsString({ message: 'model must be a knowledge base slug (see GET /v1/models)' })
  @MaxLength(200)
  model: string;

  @IsArray({ message: 'messages must be a non-empty array' })
  @ArrayMinSize(1, { message: 'messages must be a non-empty array' })
  @ValidateNested({ each: true })
  @Type(() => ChatCompletionMessageDto)
  messages: ChatCompletionMessageDto[];

  @IsOptional()
  @IsBoolean()
  stream?: boolean;

  @IsOptional()
  @IsObject()
  stream_options?: { include_usage?: boolean };

  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(2)
  temperature?: number;

  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(1)
  top_p?: number;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(131_072)
  max_tokens?: number;

  /** The newer name of max_tokens. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(131_072)
  max_completion_tokens?: number;
}
