import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { ChunkRepository, vectorIndexOptions } from '../documents/chunk.repository';
import { DocumentRepository } from '../documents/document.repository';
import { KnowledgeBaseContentsPurger } from '../knowledge-bases/knowledge-base-contents-purger';
import { KnowledgeBaseRepository } from '../knowledge-bases/knowledge-base.repository';
import { IngestionQueueService } from './ingestion-queue.service';

/** A document touched this recently may still be getting its job; leave it to the uploader. */
const GRACE_SECONDS = 5;
const BATCH = 500;

/**
 * Makes the database, not Redis, the truth about what still needs doing: at worker start and every
 * INGESTION_RECONCILE_SEC, every document in a non-final status whose job is missing (Redis lost its
 * data), finished or failed for good (Ollama stayed down) gets its job back. Jobs that are waiting,
 * delayed or running are left alone; a running job whose worker died goes back to waiting through
 * Bull's stalled-job check, which each pass also runs. Each pass also settles vector indexes: knowledge
 * bases that reached VECTOR_INDEX_MIN_CHUNKS without one (a build interrupted by a crash, or data from
 * before per-knowledge-base indexes) get it, and indexes of deleted knowledge bases go; and it finishes
 * the purge of deleted knowledge bases whose purge was interrupted.
 */
@Injectable()
export class IngestionReconcilerService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(IngestionReconcilerService.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;

  constructor(
    private readonly documents: DocumentRepository,
    private readonly knowledgeBases: KnowledgeBaseRepository,
    private readonly purger: KnowledgeBaseContentsPurger,
    private readonly queue: IngestionQueueService,
    private readonly chunks: ChunkRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.reconcile(), this.config.ingestionReconcileSec * 1000);
    this.timer.unref();
    void this.reconcile();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** One pass; returns how many jobs it re-enqueued. Passes never overlap. */
  reconcile(): Promise<number> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(): Promise<number> {
    let added = 0;
    try {
      await this.queue.recoverStalledJobs();
      for (const doc of await this.documents.staleUnfinished(GRACE_SECONDS, BATCH)) {
        if ((await this.queue.ensureQueued(doc.id, doc.ingestRun)) === 'added') added++;
      }
      if (added) this.logger.warn(`re-enqueued ${added} document(s) whose ingestion job was lost or had given up`);
    } catch (err) {
      this.logger.warn(`reconciling ingestion jobs failed (will try again): ${(err as Error).message}`);
    }
    await this.finishPurges().catch((err: Error) =>
      this.logger.warn(`purging deleted knowledge bases failed (will try again): ${err.message}`),
    );
    await this.reconcileVectorIndexes().catch((err: Error) =>
      this.logger.warn(`reconciling vector indexes failed (will try again): ${err.message}`),
    );
    return added;
  }

  private async finishPurges(): Promise<void> {
    for (const id of await this.knowledgeBases.deletedIds(BATCH)) await this.purger.purge(id);
  }

  private async reconcileVectorIndexes(): Promise<void> {
    for (const knowledgeBaseId of await this.chunks.orphanedVectorIndexes()) {
      await this.chunks.dropVectorIndex(knowledgeBaseId);
    }
    for (const kb of await this.chunks.knowledgeBasesWithoutVectorIndex()) {
      if ((await this.chunks.ensureVectorIndex(kb.id, kb.dims, vectorIndexOptions(this.config))) === 'built') {
        this.logger.log(`built the missing vector index of knowledge base ${kb.id}`);
      }
    }
  }
}
