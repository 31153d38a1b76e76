import { applyDecorators } from '@nestjs/common';
import { IsString, Matches, MaxLength } from 'class-validator';
import { MAX_QUERY_CHARS } from '../retrieval.types';

/** A question or search query: text with at least one visible character, at most MAX_QUERY_CHARS long. */
export function IsQueryText(field: string): PropertyDecorator {
  return applyDecorators(
    IsString({ message: `${field} must be text` }),
    Matches(/\S/, { message: `${field} must not be empty` }),
    MaxLength(MAX_QUERY_CHARS, { message: `${field} is too long: at most ${MAX_QUERY_CHARS} characters` }),
  );
}
