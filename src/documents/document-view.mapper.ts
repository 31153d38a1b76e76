import type { ChunkLocation } from './chunk-location';
import { Chunk } from './chunk.entity';
import { Document, DocumentStatus } from './document.entity';

/** A document as every door shows it: REST, the events stream, the admin UI. */
export interface DocumentView {
  id: string;
  knowledgeBaseId: string;
  filename: string;
  mimeType: string;
  sizeBytes: number;
  sha256: string;
  status: DocumentStatus;
  progress: number;
  /** A passing condition, e.g. "Waiting for Ollama (…)". */
  statusDetail: string | null;
  pageCount: number | null;
  chunkCount: number;
  version: number;
  replacesId: string | null;
  error: { code: string; message: string } | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface ChunkView {
  id: string;
  ordinal: number;
  title: string;
  content: string;
  pageFrom: number | null;
  pageTo: number | null;
  /** Slides, chapters or a sheet's rows (formats without PDF pages). */
  location: ChunkLocation | null;
  enabled: boolean;
  tokenCount: number;
}

/** The one place a document's view is built. */
export function toDocumentView(doc: Document): DocumentView {
  return {
    id: doc.id,
    knowledgeBaseId: doc.knowledgeBaseId,
    filename: doc.filename,
    mimeType: doc.mimeType,
    sizeBytes: doc.sizeBytes,
    sha256: doc.sha256,
    status: doc.status,
    progress: doc.progress,
    statusDetail: doc.statusDetail,
    pageCount: doc.pageCount,
    chunkCount: doc.chunkCount,
    version: doc.version,
    replacesId: doc.replacesId,
    error: doc.errorCode ? { code: doc.errorCode, message: doc.errorMessage ?? '' } : null,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
  };
}

export function toChunkView(chunk: Chunk): ChunkView {
  return {
    id: chunk.id,
    ordinal: chunk.ordinal,
    title: chunk.title,
    content: chunk.content,
    pageFrom: chunk.pageFrom,
    pageTo: chunk.pageTo,
    location: chunk.location ?? null,
    enabled: chunk.enabled,
    tokenCount: chunk.tokenCount,
  };
}
