import { Transform, Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { DOCUMENT_STATUSES, DocumentStatus } from '../document.entity';

export class PageQuery {
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(100_000) page?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(200) pageSize?: number;
}

/** `?status=` (empty) means "any", as a form with an empty field sends it. */
const emptyAsUnset = ({ value }: { value: unknown }): unknown => (value === '' ? undefined : value);

export class ListDocumentsQuery extends PageQuery {
  @IsOptional() @Transform(emptyAsUnset) @IsIn(DOCUMENT_STATUSES) status?: DocumentStatus;
  /** Part of the file name (case-insensitive). */
  @IsOptional() @Transform(emptyAsUnset) @IsString() @MaxLength(255) q?: string;
}
