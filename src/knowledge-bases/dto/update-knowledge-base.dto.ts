import { Transform, Type } from 'class-transformer';
import { IsInt, IsNotEmpty, IsOptional, IsString, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { IsVisibleName } from '../../common/validation/text-fields';
import { KnowledgeBaseSettingsDto } from './knowledge-base-settings.dto';

const trim = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.trim() : value);

/**
 * The embedding model cannot change (every vector would be stale: create a new knowledge base).
 * New chunk sizes apply to documents uploaded or reindexed afterwards. `settings` are merged.
 */
export class UpdateKnowledgeBaseDto {
  @IsOptional() @Transform(trim) @IsString() @IsNotEmpty() @MaxLength(200) @IsVisibleName() name?: string;
  @IsOptional() @IsString() @MaxLength(4_000) description?: string;
  @IsOptional() @IsInt() @Min(50) @Max(8_000) chunkSize?: number;
  @IsOptional() @IsInt() @Min(0) @Max(4_000) chunkOverlap?: number;
  @IsOptional() @ValidateNested() @Type(() => KnowledgeBaseSettingsDto) settings?: KnowledgeBaseSettingsDto;
}
