import { IsBoolean, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';

export class UpdateChunkDto {
  /** New text; it is embedded again (Ollama must be reachable) and its keyword index rebuilt. */
  @IsOptional() @IsString() @IsNotEmpty() @MaxLength(100_000) content?: string;
  /** A disabled chunk is never retrieved. */
  @IsOptional() @IsBoolean() enabled?: boolean;
}
