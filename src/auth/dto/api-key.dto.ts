import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsDate,
  IsIn,
  IsOptional,
  IsString,
  MaxLength,
  MinLength,
  ValidateBy,
  ValidationOptions,
  isUUID,
} from 'class-validator';
import { IsVisibleName } from '../../common/validation/text-fields';
import { API_KEY_SCOPES, ApiKeyScope } from '../api-key.entity';

/** `"all"` or a non-empty list of knowledge base ids. */
function IsKnowledgeBaseSelection(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isKnowledgeBaseSelection',
      validator: {
        validate: (value: unknown) =>
          value === 'all' ||
          (Array.isArray(value) &&
            value.length > 0 &&
            value.length <= 1000 &&
            value.every((v) => typeof v === 'string' && isUUID(v))),
        defaultMessage: () => 'knowledgeBaseIds must be "all" or a non-empty list of knowledge base ids',
      },
    },
    options,
  );
}

export class CreateApiKeyDto {
  @ApiProperty({ example: 'intranet chatbot' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  @IsVisibleName()
  name: string;

  @ApiProperty({
    oneOf: [
      { type: 'string', enum: ['all'] },
      { type: 'array', items: { type: 'string', format: 'uuid' } },
    ],
  })
  @IsKnowledgeBaseSelection()
  knowledgeBaseIds: string[] | 'all';

  @ApiProperty({ enum: API_KEY_SCOPES, isArray: true, example: ['ask'] })
  @IsArray()
  @ArrayMinSize(1, { message: 'scopes must name at least one of ask, write' })
  @ArrayMaxSize(2)
  @IsIn(API_KEY_SCOPES, { each: true, message: 'scopes may only contain ask and write' })
  scopes: ApiKeyScope[];

  @ApiPropertyOptional({ type: String, format: 'date-time' })
  @IsOptional()
  @Type(() => Date)
  @IsDate({ message: 'expiresAt must be an ISO 8601 date' })
  expiresAt?: Date;
}
