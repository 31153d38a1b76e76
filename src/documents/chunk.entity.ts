import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { ChunkLocation } from './chunk-location';

/**
 * A passage of a document. `embedding` (halfvec, any dimension) and `searchVector` (tsvector of the
 * jieba-segmented text) are written and read only by hand-written SQL in the chunk repository; the
 * HNSW and GIN indexes over them are created in migrations.
 */
@Entity('chunks')
@Index(['documentId', 'ingestRun', 'ordinal'], { unique: true })
export class Chunk {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'uuid' })
  documentId: string;

  @Column({ type: 'uuid' })
  knowledgeBaseId: string;

  /** The document's ingestion run that wrote this chunk (a reindex writes beside the live run's chunks). */
  @Column({ type: 'int', default: 1 })
  ingestRun: number;

  @Column({ type: 'int' })
  ordinal: number;

  /** Heading trail, e.g. "2 Simple manipulations › 2.1 Vectors and assignment". */
  @Column({ type: 'text', default: '' })
  title: string;

  @Column({ type: 'text' })
  content: string;

  @Column({ type: 'int', nullable: true })
  pageFrom: number | null;

  @Column({ type: 'int', nullable: true })
  pageTo: number | null;

  /** Slides, chapters or a sheet's rows, for formats without PDF pages (see ChunkLocation). */
  @Column({ type: 'jsonb', nullable: true })
  location: ChunkLocation | null;

  @Column({ type: 'boolean', default: true })
  enabled: boolean;

  @Column({ type: 'int', default: 0 })
  tokenCount: number;

  @Column({ type: 'smallint', nullable: true })
  embeddingDims: number | null;

  @Column({ type: 'halfvec', nullable: true, select: false, insert: false, update: false })
  embedding: string | null;

  @Column({ type: 'tsvector', nullable: true, select: false, insert: false, update: false })
  searchVector: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
