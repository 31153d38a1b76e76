import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, Repository } from 'typeorm';
import { DomainError } from '../common/errors/domain-error';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { ChunkRepository, ChunkWrite, keywordText, vectorIndexOptions } from '../documents/chunk.repository';
import { DocumentFileStore } from '../documents/document-file-store';
import { Document, DocumentStatus, FINAL_DOCUMENT_STATUSES } from '../documents/document.entity';
import { KnowledgeBase } from '../knowledge-bases/knowledge-base.entity';
import { OllamaClientService } from '../llm/ollama-client.service';
import { isRetryableOllamaError } from '../llm/ollama-errors';
import { DocumentStateChange, DocumentStateService } from './document-state.service';
import { IngestionCancelledError, IngestionError } from './ingestion-errors';
import { parseDocument } from './parsing/document-parser';
import { OcrProgress, PageRecognizer } from './parsing/ocr/page-recognizer.service';
import { embeddingInput, splitIntoChunks, TextChunk } from './splitting/text-splitter';

export interface IngestAttempt {
  documentId: string;
  run: number;
  /** Attempts Bull already made before this one, and how many it will make in all. */
  attemptsMade: number;
  attempts: number;
}

export type IngestOutcome = 'ready' | 'failed' | 'cancelled' | 'skipped';

/** Share of the progress bar per stage: parsing 0-25, chunking 25-30, embedding and indexing 30-100. */
const PARSE_END = 25;
const EMBED_START = 30;
const PROGRESS_WRITE_INTERVAL_MS = 300;
/** INSERTs in flight at once (each on its own connection), of one embedded batch each. */
const WRITE_CONCURRENCY = 2;
const POSTGRES_FOREIGN_KEY_VIOLATION = '23503';
/** Any fixed number: second key of the per-document advisory lock (first: a hash of the id). */
const DOCUMENT_LOCK_NAMESPACE = 7_460_212;

/** Another worker holds the document (e.g. a job re-enqueued by the reconciler): try again later. */
class DocumentBusyError extends DomainError {
  constructor(documentId: string) {
    super('DOCUMENT_BUSY', `document ${documentId} is being processed by another worker`, 409, true);
  }
}

/** This worker is shutting down: the job goes back to the queue and resumes where it stopped. */
class WorkerStoppingError extends DomainError {
  constructor() {
    super('WORKER_STOPPING', 'the worker is shutting down; the document resumes on the next worker', 503, true);
  }
}

/** Runs at most `limit` tasks at once; `add` waits for a free slot. The first failure is rethrown. */
class BoundedTasks {
  private readonly running = new Set<Promise<void>>();
  private failure: { error: unknown } | undefined;

  constructor(private readonly limit: number) {}

  async add(task: () => Promise<void>): Promise<void> {
    while (this.running.size >= this.limit) await Promise.race(this.running);
    this.throwIfFailed();
    const run: Promise<void> = task()
      .catch((error: unknown) => {
        this.failure ??= { error };
      })
      .finally(() => this.running.delete(run));
    this.running.add(run);
  }

  async drain(): Promise<void> {
    await Promise.all(this.running);
    this.throwIfFailed();
  }

  /** Waits for running tasks without rethrowing. */
  async settle(): Promise<void> {
    await Promise.all(this.running);
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }
}

/** A counting semaphore: acquire() resolves, with a release function, once a slot is free. */
class Slots {
  private readonly waiting: Array<() => void> = [];

  constructor(private free: number) {}

  async acquire(): Promise<() => void> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    };
  }
}

/** "OCR page 3 of 40" (the page being read) in the document's status detail, over the parsing share of progress. */
function reportOcr(progress: ProgressReporter, ocr: OcrProgress): Promise<void> {
  if (ocr.state === 'waiting') {
    return progress.report(
      'parsing',
      0,
      { statusDetail: 'Waiting for OCR (another document is being recognized)' },
      true,
    );
  }
  const current = Math.min(ocr.pageCount, ocr.pagesDone + 1);
  return progress.report(
    'parsing',
    (PARSE_END * ocr.pagesDone) / ocr.pageCount,
    { statusDetail: `OCR page ${current} of ${ocr.pageCount}` },
    true,
  );
}

/** md5 of title and content, as ChunkRepository.storedChunkDigests computes it in PostgreSQL. */
function chunkDigest(chunk: Pick<TextChunk, 'title' | 'content'>): string {
  return createHash('md5').update(`${chunk.title}\x1f${chunk.content}`, 'utf8').digest('hex');
}

/** Writes status and progress to the database (and the events stream) at most every 300 ms, and at once on a stage change. */
class ProgressReporter {
  private lastWrite = 0;
  private lastStatus?: DocumentStatus;
  private lastProgress = -1;

  constructor(
    private readonly state: DocumentStateService,
    private readonly documentId: string,
    private readonly run: number,
    private readonly checkStopping: () => void,
  ) {}

  async report(
    status: DocumentStatus,
    progress: number,
    extra: DocumentStateChange = {},
    force = false,
  ): Promise<void> {
    this.checkStopping();
    const rounded = Math.max(0, Math.min(99, Math.floor(progress)));
    const now = Date.now();
    const due =
      force ||
      status !== this.lastStatus ||
      (rounded !== this.lastProgress && now - this.lastWrite >= PROGRESS_WRITE_INTERVAL_MS);
    if (!due) return;
    this.lastWrite = now;
    this.lastStatus = status;
    this.lastProgress = rounded;
    const stillWanted = await this.state.update(this.documentId, this.run, {
      status,
      progress: rounded,
      statusDetail: null,
      ...extra,
    });
    if (!stillWanted) throw new IngestionCancelledError(this.documentId);
  }
}

/**
 * One document version from stored file to searchable chunks: parse → chunk → embed → index, with
 * status and progress written as it goes. Idempotent and resumable: chunks already stored by an
 * interrupted run (same ordinal, same text) are kept, the rest embedded; a document lock stops two
 * workers from working on one document. Deleting or reindexing the document stops the run.
 */
@Injectable()
export class IngestionPipelineService implements OnModuleDestroy {
  private readonly logger = new Logger(IngestionPipelineService.name);
  private readonly stopping = new AbortController();

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @InjectRepository(Document) private readonly documents: Repository<Document>,
    @InjectRepository(KnowledgeBase) private readonly knowledgeBases: Repository<KnowledgeBase>,
    private readonly chunks: ChunkRepository,
    private readonly files: DocumentFileStore,
    private readonly state: DocumentStateService,
    private readonly ollama: OllamaClientService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly ocr: PageRecognizer,
  ) {}

  onModuleDestroy(): void {
    this.stopping.abort();
  }

  async ingest(attempt: IngestAttempt): Promise<IngestOutcome> {
    const { documentId, run } = attempt;
    const doc = await this.documents.findOneBy({ id: documentId });
    if (!doc || doc.ingestRun !== run || FINAL_DOCUMENT_STATUSES.includes(doc.status)) return 'skipped';
    const knowledgeBase = await this.knowledgeBases.findOneBy({ id: doc.knowledgeBaseId });
    if (!knowledgeBase) return 'skipped';

    const unlock = await this.lockDocument(documentId);
    try {
      await this.process(doc, knowledgeBase, run);
      return 'ready';
    } catch (err) {
      return await this.handleFailure(doc, attempt, err);
    } finally {
      await unlock();
    }
  }

  private async process(doc: Document, knowledgeBase: KnowledgeBase, run: number): Promise<void> {
    const progress = new ProgressReporter(this.state, doc.id, run, () => this.checkStopping());
    await progress.report('parsing', 0, { errorCode: null, errorMessage: null }, true);

    const data = await this.files.read(doc.storageKey).catch(() => {
      throw new IngestionError(
        'FILE_MISSING',
        `The stored original of "${doc.filename}" is missing from DATA_DIR; upload the file again.`,
      );
    });
    const parsed = await parseDocument(
      data,
      doc.mimeType,
      ({ pagesRead, pageCount }) => progress.report('parsing', (PARSE_END * pagesRead) / pageCount, { pageCount }),
      {
        ocr: {
          mode: knowledgeBase.settings?.ocr ?? 'auto',
          languages: knowledgeBase.settings?.ocrLanguages ?? this.ocr.defaultLanguages,
          recognizer: this.ocr,
          onProgress: (ocr) => reportOcr(progress, ocr),
          signal: this.stopping.signal,
        },
      },
    ).catch((err: unknown) => {
      this.checkStopping(); // OCR stopped by our own shutdown is not the document's failure
      throw err;
    });
    const pageCount = parsed.pageCount ?? null;
    // The PDF viewer opens this copy, so the recognized text of scans can be selected and searched.
    if (parsed.searchablePdf) await this.files.writeSearchableCopy(doc.storageKey, parsed.searchablePdf);
    delete parsed.searchablePdf;

    await progress.report('chunking', PARSE_END, { pageCount });
    const chunks = splitIntoChunks(parsed.blocks, {
      chunkSize: knowledgeBase.chunkSize,
      chunkOverlap: knowledgeBase.chunkOverlap,
      contextLength: knowledgeBase.embeddingContextLength,
      pageUnit: parsed.pageUnit,
    });
    parsed.blocks.length = 0; // the page text is not needed any more
    if (!chunks.length) throw new IngestionError('EMPTY_DOCUMENT', 'The file contains no text to index.');
    // Segmented for the keyword index now, so the embedding stage's thread only moves vectors.
    const keywords = chunks.map((chunk) => keywordText(chunk.title, chunk.content));

    await progress.report('embedding', EMBED_START, { pageCount });
    const todo = await this.chunksStillToWrite(doc.id, run, chunks);
    let written = chunks.length - todo.length;
    const reportWritten = (): Promise<void> =>
      progress.report('embedding', EMBED_START + ((100 - EMBED_START) * written) / chunks.length, {
        chunkCount: written,
      });

    // Ollama embeds batches back to back, EMBED_CONCURRENCY calls at once: a call's slot is handed on as
    // soon as Ollama has answered, while its vectors are still being downloaded, parsed and written.
    // Embedded batches waiting for a write are bounded, so slow writes slow embedding down instead of
    // piling vectors up in memory.
    const ollamaSlots = new Slots(this.config.embedConcurrency);
    const batches = new BoundedTasks(this.config.embedConcurrency + WRITE_CONCURRENCY);
    const writes = new BoundedTasks(WRITE_CONCURRENCY);
    try {
      for (let start = 0; start < todo.length; start += this.config.embedBatchSize) {
        const batch = todo.slice(start, start + this.config.embedBatchSize);
        await batches.add(async () => {
          const release = await ollamaSlots.acquire();
          let vectors: number[][];
          try {
            vectors = await this.embed(batch, knowledgeBase, release);
          } finally {
            release();
          }
          await writes.add(async () => {
            // Preparing a write takes milliseconds of CPU: let the next /api/embed request go out first.
            await new Promise<void>((resolve) => setImmediate(resolve));
            await this.write(doc, knowledgeBase, batch, vectors, keywords);
            written += batch.length;
            await reportWritten();
          });
        });
      }
      await batches.drain();
      await writes.drain();
    } finally {
      // Nothing may still be embedding or writing once this run has given up.
      await batches.settle();
      await writes.settle();
    }
    await this.indexVectors(doc, knowledgeBase, progress, pageCount, chunks.length);

    const result = await this.chunks.markReady(doc.id, run, { chunkCount: chunks.length, pageCount });
    if (!result.updated) throw new IngestionCancelledError(doc.id);
    await this.files.remove(...result.replaced.map((r) => r.storageKey)).catch(() => undefined);
    for (const old of result.replaced) this.state.publishDeleted(old.id, doc.knowledgeBaseId);
    const ready = await this.documents.findOneBy({ id: doc.id });
    if (ready) this.state.publishUpdated(ready);
    this.logger.log(
      `document ${doc.id} ("${doc.filename}") is ready: ${chunks.length} chunks, ${pageCount ?? 0} pages`,
    );
  }

  /**
   * The load that brings a knowledge base to VECTOR_INDEX_MIN_CHUNKS builds its HNSW index in bulk, before
   * the document turns ready (so search is indexed from then on); later loads join the index row by row.
   */
  private async indexVectors(
    doc: Document,
    knowledgeBase: KnowledgeBase,
    progress: ProgressReporter,
    pageCount: number | null,
    chunkCount: number,
  ): Promise<void> {
    await progress.report('embedding', 99, { pageCount, chunkCount, statusDetail: 'Building the search index' }, true);
    const started = Date.now();
    const outcome = await this.chunks.ensureVectorIndex(
      knowledgeBase.id,
      knowledgeBase.embeddingDimension,
      vectorIndexOptions(this.config),
    );
    if (outcome === 'built') {
      this.logger.log(
        `built the vector index of knowledge base ${knowledgeBase.id} in ${Date.now() - started} ms (with document ${doc.id})`,
      );
    }
  }

  /** Chunks an interrupted attempt of this run did not store yet; stored ones that no longer match go. */
  private async chunksStillToWrite(documentId: string, run: number, chunks: TextChunk[]): Promise<TextChunk[]> {
    const stored = await this.chunks.storedChunkDigests(documentId, run);
    if (!stored.size) return chunks;
    const outdated = [...stored].filter(
      ([ordinal, digest]) => ordinal >= chunks.length || chunkDigest(chunks[ordinal]) !== digest,
    );
    await this.chunks.deleteChunksByOrdinal(
      documentId,
      run,
      outdated.map(([ordinal]) => ordinal),
    );
    const outdatedOrdinals = new Set(outdated.map(([ordinal]) => ordinal));
    return chunks.filter((c) => !stored.has(c.ordinal) || outdatedOrdinals.has(c.ordinal));
  }

  /** One /api/embed call; `onAnswered` runs once Ollama has answered, before the vectors are parsed. */
  private async embed(batch: TextChunk[], knowledgeBase: KnowledgeBase, onAnswered?: () => void): Promise<number[][]> {
    let vectors: number[][];
    try {
      vectors = await this.ollama.embed(batch.map(embeddingInput), {
        onAnswered,
        model: knowledgeBase.embeddingModel,
        signal: this.stopping.signal,
      });
    } catch (err) {
      this.checkStopping(); // our own cancellation on shutdown is not an Ollama failure
      throw err;
    }
    const dims = vectors[0]?.length;
    if (dims !== knowledgeBase.embeddingDimension) {
      throw new IngestionError(
        'EMBEDDING_DIMENSION_MISMATCH',
        `The model "${knowledgeBase.embeddingModel}" now returns ${dims}-dimensional vectors, but this knowledge base was created for ${knowledgeBase.embeddingDimension}. Create a new knowledge base for the changed model.`,
      );
    }
    return vectors;
  }

  private async write(
    doc: Document,
    knowledgeBase: KnowledgeBase,
    group: TextChunk[],
    vectors: number[][],
    /** Keyword text of every chunk of the document, by ordinal. */
    keywords: string[],
  ): Promise<void> {
    const rows: ChunkWrite[] = group.map((chunk, i) => ({
      ...chunk,
      embedding: vectors[i],
      keywords: keywords[chunk.ordinal],
    }));
    try {
      await this.chunks.insertChunks(
        doc.id,
        doc.ingestRun,
        doc.knowledgeBaseId,
        knowledgeBase.embeddingDimension,
        rows,
      );
    } catch (err) {
      // The document (or its knowledge base) was deleted meanwhile: its rows cascade away, ours cannot land.
      if ((err as { code?: string }).code === POSTGRES_FOREIGN_KEY_VIOLATION) throw new IngestionCancelledError(doc.id);
      throw err;
    }
  }

  private checkStopping(): void {
    if (this.stopping.signal.aborted) throw new WorkerStoppingError();
  }

  /**
   * Decides what a failure means for the document: deleted → nothing to do; a permanent problem →
   * `failed` with its code at once (no retries); Ollama down or busy → wait (Bull retries with backoff,
   * then the reconciler) and say so; anything else → retried, and `failed` after the last attempt.
   */
  private async handleFailure(doc: Document, attempt: IngestAttempt, err: unknown): Promise<IngestOutcome> {
    if (err instanceof IngestionCancelledError) {
      this.logger.log(`stopped ingesting document ${doc.id}: it was deleted or reindexed`);
      return 'cancelled';
    }
    if (err instanceof WorkerStoppingError || err instanceof DocumentBusyError) throw err;
    const lastAttempt = attempt.attemptsMade + 1 >= attempt.attempts;
    const message = err instanceof Error ? err.message : String(err);
    if (isRetryableOllamaError(err)) {
      const next = lastAttempt
        ? `trying again within ${this.config.ingestionReconcileSec} s`
        : `attempt ${attempt.attemptsMade + 1} of ${attempt.attempts}, trying again shortly`;
      await this.state
        .update(doc.id, attempt.run, { statusDetail: `Waiting for Ollama (${next}): ${message}` })
        .catch(() => undefined);
      throw err;
    }
    const permanent = err instanceof DomainError && !err.retryable;
    if (!permanent && !lastAttempt) {
      this.logger.warn(
        `ingesting document ${doc.id} failed (attempt ${attempt.attemptsMade + 1} of ${attempt.attempts}), will retry: ${message}`,
      );
      await this.state
        .update(doc.id, attempt.run, { statusDetail: `Retrying after an error: ${message}` })
        .catch(() => undefined);
      throw err;
    }
    const code = err instanceof DomainError ? err.code : 'INGESTION_FAILED';
    if (!permanent) this.logger.error({ err }, `ingesting document ${doc.id} failed for good`);
    // Only this run's chunks go: after a failed reindex the previous run's chunks keep serving searches.
    const liveChunks = await this.chunks.deleteRunChunks(doc.id, attempt.run);
    await this.state.update(doc.id, attempt.run, {
      status: 'failed',
      statusDetail: null,
      chunkCount: liveChunks,
      errorCode: code,
      errorMessage: message,
    });
    return 'failed';
  }

  /** A session advisory lock on a connection of its own; released when done, or by PostgreSQL if the worker dies. */
  private async lockDocument(documentId: string): Promise<() => Promise<void>> {
    const runner = this.db.createQueryRunner();
    await runner.connect();
    const [{ locked }]: Array<{ locked: boolean }> = await runner.query(
      `SELECT pg_try_advisory_lock($2, hashtext($1)) AS locked`,
      [documentId, DOCUMENT_LOCK_NAMESPACE],
    );
    if (!locked) {
      await runner.release();
      throw new DocumentBusyError(documentId);
    }
    return async () => {
      await runner
        .query(`SELECT pg_advisory_unlock($2, hashtext($1))`, [documentId, DOCUMENT_LOCK_NAMESPACE])
        .catch(() => undefined);
      await runner.release();
    };
  }
}
