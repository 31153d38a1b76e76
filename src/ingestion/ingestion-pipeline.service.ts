import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DomainError } from '../common/errors/domain-error';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { AdvisoryLockBusyError, ADVISORY_LOCK, withAdvisoryLock } from '../database/advisory-lock';
import { retryOnConflict } from '../database/postgres-errors';
import { ChunkRepository, ChunkWrite, keywordText, vectorIndexOptions } from '../documents/chunk.repository';
import { DocumentFileStore } from '../documents/document-file-store';
import { DocumentLifecycle, WorkingStatus } from '../documents/document-lifecycle.service';
import { Document, FINAL_DOCUMENT_STATUSES } from '../documents/document.entity';
import { DocumentRepository, DocumentRunChange } from '../documents/document.repository';
import { KnowledgeBase } from '../knowledge-bases/knowledge-base.entity';
import { KnowledgeBaseRepository } from '../knowledge-bases/knowledge-base.repository';
import { OllamaClientService } from '../llm/ollama-client.service';
import { IngestionCancelledError, IngestionError } from './ingestion-errors';
import { classifyIngestionFailure, UNKNOWN_FAILURE_ATTEMPTS } from './ingestion-failure';
import { parseDocument } from './parsing/document-parser';
import { embeddingInput } from '../common/text/chunk-limits';
import { OcrProgress, PageRecognizer } from './parsing/ocr/page-recognizer.service';
import { splitIntoChunks, TextChunk } from './splitting/text-splitter';
import { PdfReadProgress } from './parsing/pdf-text-extractor';
import { STATUS_DETAILS } from './status-details';

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
/**
 * How long a job waits for another worker to let go of its document before backing off: long enough to
 * see the other worker finish, so the job then finds the document ready and skips it.
 */
const DOCUMENT_LOCK_WAIT_MS = 2_000;

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

/** Pages of a PDF read, over the parsing share of progress; or that it waits for a reader thread. */
function reportPdfReading(progress: ProgressReporter, pdf: PdfReadProgress): Promise<void> {
  if (pdf.state === 'waiting') {
    return progress.report('parsing', 0, { statusDetail: STATUS_DETAILS.waitingForReader }, true);
  }
  return progress.report('parsing', (PARSE_END * pdf.pagesRead) / pdf.pageCount, { pageCount: pdf.pageCount });
}

/** "OCR page 3 of 40" (the page being read) in the document's status detail, over the parsing share of progress. */
function reportOcr(progress: ProgressReporter, ocr: OcrProgress): Promise<void> {
  if (ocr.state === 'waiting') {
    return progress.report('parsing', 0, { statusDetail: STATUS_DETAILS.waitingForOcr }, true);
  }
  const current = Math.min(ocr.pageCount, ocr.pagesDone + 1);
  return progress.report(
    'parsing',
    (PARSE_END * ocr.pagesDone) / ocr.pageCount,
    { statusDetail: STATUS_DETAILS.ocrPage(current, ocr.pageCount) },
    true,
  );
}

/** md5 of title and content, as ChunkRepository.storedChunkDigests computes it in PostgreSQL. */
function chunkDigest(chunk: Pick<TextChunk, 'title' | 'content'>): string {
  return createHash('md5').update(`${chunk.title}\x1f${chunk.content}`, 'utf8').digest('hex');
}

/** Writes status and progress (through the lifecycle owner) at most every 300 ms, and at once on a stage change. */
class ProgressReporter {
  private lastWrite = 0;
  private lastStatus?: WorkingStatus;
  private lastProgress = -1;
  /** The last write set a status detail: the next one clears it at once, however little progress moved. */
  private showingDetail = false;

  constructor(
    private readonly lifecycle: DocumentLifecycle,
    private readonly documentId: string,
    private readonly run: number,
    private readonly checkStopping: () => void,
  ) {}

  async report(status: WorkingStatus, progress: number, extra: DocumentRunChange = {}, force = false): Promise<void> {
    this.checkStopping();
    const rounded = Math.max(0, Math.min(99, Math.floor(progress)));
    const now = Date.now();
    const due =
      force ||
      status !== this.lastStatus ||
      (this.showingDetail && !extra.statusDetail) ||
      (rounded !== this.lastProgress && now - this.lastWrite >= PROGRESS_WRITE_INTERVAL_MS);
    if (!due) return;
    this.lastWrite = now;
    this.lastStatus = status;
    this.lastProgress = rounded;
    this.showingDetail = Boolean(extra.statusDetail);
    const stillWanted = await this.lifecycle.advance(this.documentId, this.run, {
      statusDetail: null,
      ...extra,
      status,
      progress: rounded,
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
    private readonly documents: DocumentRepository,
    private readonly knowledgeBases: KnowledgeBaseRepository,
    private readonly chunks: ChunkRepository,
    private readonly files: DocumentFileStore,
    private readonly lifecycle: DocumentLifecycle,
    private readonly ollama: OllamaClientService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly ocr: PageRecognizer,
  ) {}

  onModuleDestroy(): void {
    this.stopping.abort();
  }

  async ingest(attempt: IngestAttempt): Promise<IngestOutcome> {
    const { documentId, run } = attempt;
    try {
      return await withAdvisoryLock(
        this.db,
        ADVISORY_LOCK.document,
        documentId,
        { timeoutMs: DOCUMENT_LOCK_WAIT_MS },
        async () => {
          // Read only once the lock is ours: a worker that just finished the document has made it ready.
          const doc = await this.documents.findById(documentId);
          if (!doc || doc.ingestRun !== run || FINAL_DOCUMENT_STATUSES.includes(doc.status)) return 'skipped';
          const knowledgeBase = await this.knowledgeBases.findById(doc.knowledgeBaseId);
          if (!knowledgeBase) return 'skipped';
          try {
            await this.process(doc, knowledgeBase, run);
            return 'ready';
          } catch (err) {
            return await this.handleFailure(doc, attempt, err);
          }
        },
      );
    } catch (err) {
      if (err instanceof AdvisoryLockBusyError) throw new DocumentBusyError(documentId);
      throw err;
    }
  }

  private async process(doc: Document, knowledgeBase: KnowledgeBase, run: number): Promise<void> {
    const progress = new ProgressReporter(this.lifecycle, doc.id, run, () => this.checkStopping());
    await progress.report('parsing', 0, {}, true);

    const data = await this.files.read(doc.storageKey).catch(() => {
      throw new IngestionError(
        'FILE_MISSING',
        `The stored original of "${doc.filename}" is missing from DATA_DIR; upload the file again.`,
      );
    });
    const parsed = await parseDocument(data, doc.mimeType, (pdf) => reportPdfReading(progress, pdf), {
      ocr: {
        mode: knowledgeBase.settings?.ocr ?? 'auto',
        languages: knowledgeBase.settings?.ocrLanguages ?? this.ocr.defaultLanguages,
        recognizer: this.ocr,
        onProgress: (ocr) => reportOcr(progress, ocr),
        signal: this.stopping.signal,
      },
    }).catch((err: unknown) => {
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

    // The swap runs again if PostgreSQL aborts it for a deadlock (so do the chunk inserts, which are idempotent).
    const outcome = await retryOnConflict(() =>
      this.lifecycle.complete(doc.id, run, { chunkCount: chunks.length, pageCount }),
    );
    if (outcome === 'gone') throw new IngestionCancelledError(doc.id);
    this.logger.log(
      outcome === 'ready'
        ? `document ${doc.id} ("${doc.filename}") is ready: ${chunks.length} chunks, ${pageCount ?? 0} pages`
        : `document ${doc.id} ("${doc.filename}") was replaced by a newer version that was ready first`,
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
    await progress.report('embedding', 99, { pageCount, chunkCount, statusDetail: STATUS_DETAILS.buildingIndex }, true);
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
      await retryOnConflict(() =>
        this.chunks.insertChunks(doc.id, doc.ingestRun, doc.knowledgeBaseId, knowledgeBase.embeddingDimension, rows),
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
   * Decides what a failure means for the document (classifyIngestionFailure): deleted → nothing to do;
   * transient (Ollama or the database unavailable, a deadlock) → wait (Bull retries with backoff, then the
   * reconciler) and say so; permanent (the document itself) → `failed` with its code at once; unknown →
   * retried a few times, then `failed`. What the user reads is written for people; the raw error is logged.
   */
  private async handleFailure(doc: Document, attempt: IngestAttempt, err: unknown): Promise<IngestOutcome> {
    if (err instanceof IngestionCancelledError) {
      this.logger.log(`stopped ingesting document ${doc.id}: it was deleted or reindexed`);
      return 'cancelled';
    }
    if (err instanceof WorkerStoppingError || err instanceof DocumentBusyError) throw err;
    const failure = classifyIngestionFailure(err);
    const attemptNumber = attempt.attemptsMade + 1;
    if (failure.kind === 'transient') {
      const next =
        attemptNumber >= attempt.attempts
          ? `trying again within ${this.config.ingestionReconcileSec} s`
          : `attempt ${attemptNumber} of ${attempt.attempts}, trying again shortly`;
      const ollama = failure.code.startsWith('OLLAMA_');
      if (!ollama) this.logger.warn({ err }, `ingesting document ${doc.id} met a temporary problem (${failure.code})`);
      await this.noteWaiting(doc.id, attempt.run, STATUS_DETAILS.waiting(ollama, next, failure.message));
      throw err;
    }
    const unknownAttempts = Math.min(UNKNOWN_FAILURE_ATTEMPTS, attempt.attempts);
    if (failure.kind === 'unknown' && attemptNumber < unknownAttempts) {
      this.logger.warn({ err }, `ingesting document ${doc.id} failed (attempt ${attemptNumber} of ${unknownAttempts})`);
      await this.noteWaiting(doc.id, attempt.run, STATUS_DETAILS.retryingUnknown(attemptNumber, unknownAttempts));
      throw err;
    }
    if (!(err instanceof DomainError))
      this.logger.error({ err }, `ingesting document ${doc.id} failed for good (${failure.code})`);
    // Only this run's chunks go: after a failed reindex the previous run's chunks keep serving searches.
    await this.lifecycle.fail(doc.id, attempt.run, { code: failure.code, message: failure.message });
    return 'failed';
  }

  /**
   * Says why the document waits; best effort, tried twice, because after a dropped connection the pool can
   * hand out the dead one once more.
   */
  private async noteWaiting(documentId: string, run: number, statusDetail: string): Promise<void> {
    const note = (): Promise<void> => this.lifecycle.note(documentId, run, statusDetail);
    await note()
      .catch(note)
      .catch(() => undefined);
  }
}
