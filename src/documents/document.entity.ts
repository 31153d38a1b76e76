import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { bigintToNumber } from '../database/bigint.transformer';

export const DOCUMENT_STATUSES = ['queued', 'parsing', 'chunking', 'embedding', 'ready', 'failed'] as const;
export type DocumentStatus = (typeof DOCUMENT_STATUSES)[number];
export const FINAL_DOCUMENT_STATUSES: readonly DocumentStatus[] = ['ready', 'failed'];

/**
 * One version of an uploaded file. A new upload with the same filename but other bytes is a new row
 * whose `replacesId` points at the version it supersedes; that one stays searchable until this one is
 * ready, then it is removed in the same transaction that marks this one ready.
 */
@Entity('documents')
@Index(['knowledgeBaseId', 'sha256'], { unique: true })
@Index(['knowledgeBaseId', 'filename', 'version'], { unique: true })
export class Document {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'uuid' })
  knowledgeBaseId: string;

  /** The user's file name: metadata only, never a path on disk. */
  @Column({ type: 'varchar', length: 255 })
  filename: string;

  @Column({ type: 'varchar', length: 120 })
  mimeType: string;

  @Column({ type: 'bigint', transformer: bigintToNumber })
  sizeBytes: number;

  @Column({ type: 'char', length: 64 })
  sha256: string;

  /** Generated name of the original under DATA_DIR. */
  @Column({ type: 'varchar', length: 255 })
  storageKey: string;

  @Column({ type: 'varchar', length: 16, default: 'queued' })
  status: DocumentStatus;

  /** 0-100 over the whole pipeline. */
  @Column({ type: 'smallint', default: 0 })
  progress: number;

  /** A passing condition a user should see, e.g. "waiting for Ollama (retry 2 of 8)". */
  @Column({ type: 'text', nullable: true })
  statusDetail: string | null;

  @Column({ type: 'int', nullable: true })
  pageCount: number | null;

  @Column({ type: 'int', default: 0 })
  chunkCount: number;

  @Column({ type: 'varchar', length: 64, nullable: true })
  errorCode: string | null;

  @Column({ type: 'text', nullable: true })
  errorMessage: string | null;

  @Column({ type: 'int', default: 1 })
  version: number;

  @Column({ type: 'uuid', nullable: true })
  replacesId: string | null;

  /** Ingestion run number, bumped by reindex; the Bull job id is `doc:<id>:<run>`. */
  @Column({ type: 'int', default: 1 })
  ingestRun: number;

  /** The run whose chunks search sees (null until the first run is ready); stays put while a reindex runs. */
  @Column({ type: 'int', nullable: true })
  liveRun: number | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
