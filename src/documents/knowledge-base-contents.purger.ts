import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AdvisoryLockBusyError, ADVISORY_LOCK, withAdvisoryLock } from '../database/advisory-lock';
import { KnowledgeBaseContentsPurger } from '../knowledge-bases/knowledge-base-contents-purger';
import { KnowledgeBaseRepository } from '../knowledge-bases/knowledge-base.repository';
import { ChunkRepository } from './chunk.repository';
import { DocumentFileStore } from './document-file-store';
import { DocumentWorkQueue } from './document-work-queue';
import { DocumentRepository } from './document.repository';

/** Documents deleted per statement: each takes its chunks along, so a step stays short even at scale. */
const DOCUMENTS_PER_STEP = 20;

/**
 * Empties a deleted knowledge base in bounded steps (documents with their chunks, then stored files and
 * queued jobs), drops its HNSW index and finally its row. One purge per knowledge base at a time
 * (an advisory lock); another caller simply leaves it to the one running.
 */
@Injectable()
export class KnowledgeBaseContentsPurgerService extends KnowledgeBaseContentsPurger {
  private readonly logger = new Logger(KnowledgeBaseContentsPurgerService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly documents: DocumentRepository,
    private readonly chunks: ChunkRepository,
    private readonly knowledgeBases: KnowledgeBaseRepository,
    private readonly files: DocumentFileStore,
    @Inject(DocumentWorkQueue) private readonly queue: DocumentWorkQueue,
  ) {
    super();
  }

  async purge(knowledgeBaseId: string): Promise<void> {
    try {
      await withAdvisoryLock(this.db, ADVISORY_LOCK.knowledgeBasePurge, knowledgeBaseId, 'try', async () => {
        let removed = 0;
        for (;;) {
          const step = await this.documents.deleteSomeOf(knowledgeBaseId, DOCUMENTS_PER_STEP);
          if (!step.length) break;
          removed += step.length;
          await Promise.all(step.map((d) => this.queue.cancel(d.id, d.ingestRun)));
          await this.files.remove(...step.map((d) => d.storageKey));
        }
        // DROP INDEX CONCURRENTLY waits for index builds on chunks to finish; the reconciler retries a failure.
        await this.chunks.dropVectorIndex(knowledgeBaseId);
        await this.knowledgeBases.deleteForGood(knowledgeBaseId);
        this.logger.log(`purged deleted knowledge base ${knowledgeBaseId} (${removed} documents)`);
      });
    } catch (err) {
      if (err instanceof AdvisoryLockBusyError) return; // another process is purging it
      throw err;
    }
  }
}
