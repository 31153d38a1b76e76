import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { DOCUMENT_STATUSES, DocumentStatus } from '../document.entity';

export class PageQuery {
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(100_000) page?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(200) pageSize?: number;
}

export class ListDocumentsQuery extends PageQuery {
  @IsOptional() @IsIn(DOCUMENT_STATUSES) status?: DocumentStatus;
  /** Part of the file name (case-insensitive). */
  @IsOptional() @IsString() @MaxLength(255) q?: string;
}
