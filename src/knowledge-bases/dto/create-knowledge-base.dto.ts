import { Transform, Type } from 'class-transformer';
import { IsInt, IsNotEmpty, IsOptional, IsString, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { IsVisibleName } from '../../common/validation/text-fields';
import { KnowledgeBaseSettingsDto } from './knowledge-base-settings.dto';

const trim = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.trim() : value);

export class CreateKnowledgeBaseDto {
  /** Any language, e.g. "R 手册". */
  @Transform(trim) @IsString() @IsNotEmpty() @MaxLength(200) @IsVisibleName() name: string;

  @IsOptional() @IsString() @MaxLength(4_000) description?: string;

  /** An Ollama embedding model; defaults to EMBEDDING_MODEL. Its dimension is read from Ollama. */
  @IsOptional()
  @Transform(trim)
  @IsString()
  @MaxLength(200)
  @Matches(/^[\w.\-:/]+$/, { message: 'embeddingModel must be an Ollama model name such as bge-m3 or bge-m3:latest' })
  embeddingModel?: string;

  /** Target chunk size in estimated tokens (a CJK character ≈ 1, English ≈ 4 characters). Default 400. */
  @IsOptional() @IsInt() @Min(50) @Max(8_000) chunkSize?: number;

  /** Tokens repeated between neighbouring chunks. Default 60; at most half the chunk size. */
  @IsOptional() @IsInt() @Min(0) @Max(4_000) chunkOverlap?: number;

  @IsOptional() @ValidateNested() @Type(() => KnowledgeBaseSettingsDto) settings?: KnowledgeBaseSettingsDto;
}
