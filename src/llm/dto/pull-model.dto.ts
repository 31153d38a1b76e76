import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsNotEmpty, IsString, Matches, MaxLength } from 'class-validator';

/** Longest name accepted; Ollama's own limits (host, namespace, model, tag) add up to less than this. */
export const MAX_MODEL_NAME_LENGTH = 200;

export class PullModelDto {
  /** As `ollama pull` takes it: `qwen2.5:7b`, `bge-m3`, `hf.co/user/repo:Q4_K_M`. */
  @ApiProperty({ example: 'qwen2.5:7b', maxLength: MAX_MODEL_NAME_LENGTH })
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsString({ message: 'name must be a model name such as qwen2.5:7b' })
  @IsNotEmpty({ message: 'name is required: the model to pull, such as qwen2.5:7b' })
  @MaxLength(MAX_MODEL_NAME_LENGTH, { message: `name must be at most ${MAX_MODEL_NAME_LENGTH} characters` })
  @Matches(/^[\w.\-:/]+$/, {
    message: 'name must be an Ollama model name such as qwen2.5:7b (letters, digits and . _ - : / only)',
  })
  name: string;
}
