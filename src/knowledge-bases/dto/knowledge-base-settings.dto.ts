import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { OCR_LANGUAGE } from '../../config/app-config';

/** Answer and retrieval overrides of one knowledge base; anything left out uses the service defaults. */
export class KnowledgeBaseSettingsDto {
  /** System prompt override. */
  @IsOptional() @IsString() @MaxLength(20_000) prompt?: string;
  @IsOptional() @IsString() @MaxLength(200) chatModel?: string;
  @IsOptional() @IsIn(['hybrid', 'vector', 'keyword']) searchMode?: 'hybrid' | 'vector' | 'keyword';
  @IsOptional() @IsInt() @Min(1) @Max(50) topK?: number;
  @IsOptional() @IsNumber() @Min(0) @Max(1) minScore?: number;
  /** Weights of the vector and keyword legs in hybrid search (weighted RRF), 0 to 10; default 1 each. */
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'vectorWeight must be a number' })
  @Min(0, { message: 'vectorWeight must be at least 0' })
  @Max(10, { message: 'vectorWeight must be at most 10' })
  vectorWeight?: number;
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'keywordWeight must be a number' })
  @Min(0, { message: 'keywordWeight must be at least 0' })
  @Max(10, { message: 'keywordWeight must be at most 10' })
  keywordWeight?: number;
  @IsOptional() @IsIn(['text', 'model']) noHitMode?: 'text' | 'model';
  @IsOptional() @IsString() @MaxLength(2_000) noHitText?: string;
  @IsOptional() @IsInt() @Min(0) @Max(20) historyTurns?: number;
  @IsOptional() @IsBoolean() rewriteFollowUps?: boolean;
  @IsOptional() @IsInt() @Min(512) @Max(1_048_576) numCtx?: number;
  @IsOptional() @IsNumber() @Min(0) @Max(2) temperature?: number;
  /** Answers through the Ollama-compatible API end with a short "Sources" list (for clients that show only text). */
  @IsOptional() @IsBoolean() appendSources?: boolean;
  /** OCR of scanned pages and images: 'auto' (default) or 'off'. */
  @IsOptional() @IsIn(['auto', 'off']) ocr?: 'auto' | 'off';
  /** Tesseract languages for OCR, e.g. ["chi_sim", "eng"]; default OCR_LANGUAGES. */
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(8)
  @Matches(OCR_LANGUAGE, {
    each: true,
    message: 'ocrLanguages must be Tesseract language codes such as chi_sim, chi_tra, eng',
  })
  ocrLanguages?: string[];
}
