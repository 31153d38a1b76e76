import { Column, CreateDateColumn, DeleteDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** Per-knowledge-base answer and retrieval settings; anything left out falls back to service defaults. */
export interface KnowledgeBaseSettings {
  /** System prompt override; `{sources}` etc. are documented in the chat module. */
  prompt?: string;
  chatModel?: string;
  searchMode?: 'hybrid' | 'vector' | 'keyword';
  topK?: number;
  minScore?: number;
  /** Weights of the vector and keyword legs in hybrid search (weighted RRF; default 1 and 1). */
  vectorWeight?: number;
  keywordWeight?: number;
  /** What to do when no passage passes minScore: answer with noHitText (default) or let the model answer. */
  noHitMode?: 'text' | 'model';
  noHitText?: string;
  historyTurns?: number;
  rewriteFollowUps?: boolean;
  numCtx?: number;
  temperature?: number;
  /** Answers through /ollama end with a short "Sources" list, for clients that show only text. */
  appendSources?: boolean;
  /** OCR of pages without text (scans) and of images: 'auto' (default) or 'off'. */
  ocr?: 'auto' | 'off';
  /** Tesseract languages for OCR, e.g. ["chi_tra", "eng"]; default OCR_LANGUAGES. */
  ocrLanguages?: string[];
}

@Entity('knowledge_bases')
export class KnowledgeBase {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** URL-safe unique name; the model id in the OpenAI-compatible API. */
  @Column({ type: 'varchar', length: 120, unique: true })
  slug: string;

  @Column({ type: 'varchar', length: 200 })
  name: string;

  @Column({ type: 'text', default: '' })
  description: string;

  @Column({ type: 'varchar', length: 200 })
  embeddingModel: string;

  /** Vector length of embeddingModel, read from Ollama's /api/show when the knowledge base is created. */
  @Column({ type: 'int' })
  embeddingDimension: number;

  /** The embedding model's context in tokens; no chunk may exceed it. */
  @Column({ type: 'int', nullable: true })
  embeddingContextLength: number | null;

  /** Target chunk size and overlap in estimated tokens. */
  @Column({ type: 'int', default: 400 })
  chunkSize: number;

  @Column({ type: 'int', default: 60 })
  chunkOverlap: number;

  @Column({ type: 'jsonb', default: () => `'{}'::jsonb` })
  settings: KnowledgeBaseSettings;

  /** The user who created it (accounts); null for knowledge bases made before accounts existed. */
  @Column({ type: 'uuid', nullable: true })
  ownerId: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;

  /**
   * Set when the knowledge base is deleted: from then on TypeORM's finds leave it out (it is gone for
   * every user at once) while its documents, chunks and files are purged in the background.
   */
  @DeleteDateColumn({ type: 'timestamptz' })
  deletedAt: Date | null;
}
