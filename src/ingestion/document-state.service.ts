import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Document, DocumentStatus } from '../documents/document.entity';
import { DocumentEventData, IngestionEventsService } from './ingestion-events.service';

export interface DocumentStateChange {
  status?: DocumentStatus;
  progress?: number;
  statusDetail?: string | null;
  pageCount?: number | null;
  chunkCount?: number;
  errorCode?: string | null;
  errorMessage?: string | null;
}

const COLUMNS: Record<keyof DocumentStateChange, string> = {
  status: 'status',
  progress: 'progress',
  statusDetail: 'status_detail',
  pageCount: 'page_count',
  chunkCount: 'chunk_count',
  errorCode: 'error_code',
  errorMessage: 'error_message',
};

interface DocumentStateRow {
  id: string;
  knowledge_base_id: string;
  filename: string;
  status: DocumentStatus;
  progress: number;
  status_detail: string | null;
  page_count: number | null;
  chunk_count: number;
  error_code: string | null;
  error_message: string | null;
}

/** The document's status as the events stream and GET /api/documents/:id show it. */
export function documentEventData(doc: Document): DocumentEventData {
  return {
    id: doc.id,
    knowledgeBaseId: doc.knowledgeBaseId,
    filename: doc.filename,
    status: doc.status,
    progress: doc.progress,
    statusDetail: doc.statusDetail,
    pageCount: doc.pageCount,
    chunkCount: doc.chunkCount,
    error: doc.errorCode ? { code: doc.errorCode, message: doc.errorMessage ?? '' } : null,
  };
}

/**
 * Writes a document's status, progress and counts and tells the events stream, in that order, so what
 * a browser sees is always what the database says.
 */
@Injectable()
export class DocumentStateService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly events: IngestionEventsService,
  ) {}

  /** Applies the change only while the document exists and is still on `run`; false when it is gone or reindexed. */
  async update(documentId: string, run: number, change: DocumentStateChange): Promise<boolean> {
    const sets: string[] = ['updated_at = now()'];
    const params: unknown[] = [documentId, run];
    for (const [key, value] of Object.entries(change) as Array<[keyof DocumentStateChange, unknown]>) {
      if (value === undefined) continue;
      params.push(value);
      sets.push(`${COLUMNS[key]} = $${params.length}`);
    }
    const result: [DocumentStateRow[], number] = await this.db.query(
      `UPDATE documents SET ${sets.join(', ')} WHERE id = $1 AND ingest_run = $2
       RETURNING id, knowledge_base_id, filename, status, progress, status_detail, page_count, chunk_count, error_code, error_message`,
      params,
    );
    const row = result[0]?.[0];
    if (!row) return false;
    this.publishRow(row);
    return true;
  }

  publishUpdated(doc: Document): void {
    this.events.publish({
      type: 'document.updated',
      knowledgeBaseId: doc.knowledgeBaseId,
      document: documentEventData(doc),
    });
  }

  publishDeleted(documentId: string, knowledgeBaseId: string): void {
    this.events.publish({ type: 'document.deleted', knowledgeBaseId, document: { id: documentId, knowledgeBaseId } });
  }

  private publishRow(row: DocumentStateRow): void {
    this.events.publish({
      type: 'document.updated',
      knowledgeBaseId: row.knowledge_base_id,
      document: {
        id: row.id,
        knowledgeBaseId: row.knowledge_base_id,
        filename: row.filename,
        status: row.status,
        progress: row.progress,
        statusDetail: row.status_detail,
        pageCount: row.page_count,
        chunkCount: row.chunk_count,
        error: row.error_code ? { code: row.error_code, message: row.error_message ?? '' } : null,
      },
    });
  }
}
