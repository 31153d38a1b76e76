import { Injectable } from '@nestjs/common';
import { KnowledgeBaseEventsService } from '../knowledge-bases/knowledge-base-events.service';
import { DocumentFileStore } from './document-file-store';
import { DocumentWorkQueue } from './document-work-queue';
import { Document, DocumentStatus } from './document.entity';
import { DocumentRepository, DocumentRunChange, NewDocumentVersion } from './document.repository';
import { toDocumentView } from './document-view.mapper';

/** The statuses a run moves through on its way to ready or failed. */
export type WorkingStatus = Extract<DocumentStatus, 'parsing' | 'chunking' | 'embedding'>;

export type CompletionOutcome = 'ready' | 'superseded' | 'gone';

/**
 * The one owner of a document's lifecycle: queued (upload, reindex) → parsing → chunking → embedding →
 * ready | failed, and deletion. Every status change is written here, only while the run that makes it is
 * still the document's run and the document is unfinished (so a late or duplicate job can never move a
 * finished one), and then told to the knowledge base's event stream, so what a browser sees is what the
 * database says.
 */
@Injectable()
export class DocumentLifecycle {
  constructor(
    private readonly documents: DocumentRepository,
    private readonly files: DocumentFileStore,
    private readonly events: KnowledgeBaseEventsService,
    private readonly queue: DocumentWorkQueue,
  ) {}

  /**
   * A stored upload becomes the next version of its file name, `queued`, and its job is queued. The same
   * bytes already in the knowledge base: that document, `duplicate`, and the new copy is removed.
   */
  async register(file: NewDocumentVersion): Promise<{ document: Document; duplicate: boolean }> {
    const existing = await this.documents.findBySha256(file.knowledgeBaseId, file.sha256);
    const document = existing ?? (await this.documents.insertNextVersion(file));
    if (!document || existing) {
      await this.files.remove(file.storageKey);
      // Null: an identical upload inserted the same bytes between the lookup and the insert; it wins.
      return {
        document: document ?? (await this.documents.findBySha256(file.knowledgeBaseId, file.sha256))!,
        duplicate: true,
      };
    }
    this.publishUpdated(document);
    await this.queue.enqueue(document.id, document.ingestRun);
    return { document, duplicate: false };
  }

  /** The run moves on (a stage, progress, counts); false when the run is no longer wanted (deleted, reindexed, finished). */
  async advance(
    documentId: string,
    run: number,
    change: DocumentRunChange & { status: WorkingStatus },
  ): Promise<boolean> {
    const updated = await this.documents.updateUnfinishedRun(documentId, run, change);
    if (updated) this.publishUpdated(updated);
    return updated !== null;
  }

  /** A passing condition for people to read (e.g. "Waiting for Ollama …"), without moving the run. */
  async note(documentId: string, run: number, statusDetail: string): Promise<void> {
    const updated = await this.documents.updateUnfinishedRun(documentId, run, { statusDetail });
    if (updated) this.publishUpdated(updated);
  }

  /**
   * The run's chunks are all written: the document turns ready and live, replacing older versions of the
   * file (whose stored files go). `superseded` when a newer version was ready first (this one went);
   * `gone` when the document was deleted or reindexed meanwhile.
   */
  async complete(
    documentId: string,
    run: number,
    counts: { chunkCount: number; pageCount: number | null },
  ): Promise<CompletionOutcome> {
    const result = await this.documents.completeRun(documentId, run, counts);
    if (!result) return 'gone';
    await this.files.remove(...result.removed.map((r) => r.storageKey)).catch(() => undefined);
    for (const old of result.removed) this.publishDeleted(old.id, result.knowledgeBaseId);
    if (!result.document) return 'superseded';
    this.publishUpdated(result.document);
    return 'ready';
  }

  /** The run failed for good with a code and a message for people; the live run's chunks (if any) keep serving. */
  async fail(documentId: string, run: number, error: { code: string; message: string }): Promise<void> {
    const failed = await this.documents.failRun(documentId, run, error);
    if (failed) this.publishUpdated(failed);
  }

  /** A new run from the stored original (e.g. after changing chunk sizes); the current chunks serve until it is ready. */
  async reindex(document: Document): Promise<Document | null> {
    const restarted = await this.documents.startNextRun(document.id);
    if (!restarted) return null;
    await this.queue.cancel(document.id, document.ingestRun);
    this.publishUpdated(restarted);
    await this.queue.enqueue(restarted.id, restarted.ingestRun);
    return restarted;
  }

  /** Deletes the document, its chunks and its stored original; a job working on it stops at its next step. */
  async remove(documentId: string): Promise<Document | null> {
    const removed = await this.documents.delete(documentId);
    if (!removed) return null;
    await this.queue.cancel(removed.id, removed.ingestRun);
    await this.files.remove(removed.storageKey);
    this.publishDeleted(removed.id, removed.knowledgeBaseId);
    return removed;
  }

  private publishUpdated(doc: Document): void {
    this.events.publish({
      type: 'document.updated',
      knowledgeBaseId: doc.knowledgeBaseId,
      document: { ...toDocumentView(doc) },
    });
  }

  private publishDeleted(documentId: string, knowledgeBaseId: string): void {
    this.events.publish({ type: 'document.deleted', knowledgeBaseId, document: { id: documentId, knowledgeBaseId } });
  }
}
