import { InjectQueue } from '@nestjs/bull';
import { Injectable, Logger } from '@nestjs/common';
import type { Job, JobOptions, Queue } from 'bull';
import { INGESTION_QUEUE } from '../common/queue/queue.constants';
import { DocumentWorkQueue } from '../documents/document-work-queue';

export const INGEST_JOB = 'ingest';
const ENQUEUE_TIMEOUT_MS = 3_000;

export interface IngestJobData {
  documentId: string;
  /** The document's ingest_run this job is for; a reindex bumps it and older jobs stop. */
  run: number;
}

/** Bull retries for Ollama being down or busy: 2 s, 4 s, … about 8.5 minutes in all; the reconciler takes over after. */
const JOB_OPTIONS: JobOptions = {
  attempts: 9,
  backoff: { type: 'exponential', delay: 2_000 },
  removeOnComplete: true,
  removeOnFail: false,
};

/** One fixed job id per document version and run, so enqueuing twice never makes two jobs. */
export function ingestJobId(documentId: string, run: number): string {
  return `doc:${documentId}:${run}`;
}

/** Enqueues and cancels ingestion jobs on Bull: the documents folder's work queue. */
@Injectable()
export class IngestionQueueService extends DocumentWorkQueue {
  private readonly logger = new Logger(IngestionQueueService.name);

  constructor(@InjectQueue(INGESTION_QUEUE) private readonly queue: Queue<IngestJobData>) {
    super();
  }

  private async add(documentId: string, run: number): Promise<void> {
    await this.queue.add(INGEST_JOB, { documentId, run }, { ...JOB_OPTIONS, jobId: ingestJobId(documentId, run) });
  }

  /**
   * Enqueues, but never lets an unreachable Redis fail or hang the caller: the document is already
   * `queued` in the database, and the reconciler enqueues it once Redis answers again.
   */
  async enqueue(documentId: string, run: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer from Redis within ${ENQUEUE_TIMEOUT_MS} ms`)),
        ENQUEUE_TIMEOUT_MS,
      );
    });
    try {
      await Promise.race([this.add(documentId, run), timeout]);
      return true;
    } catch (err) {
      this.logger.warn(`could not enqueue document ${documentId} now (the reconciler will): ${(err as Error).message}`);
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  async findJob(documentId: string, run: number): Promise<Job<IngestJobData> | null> {
    return this.queue.getJob(ingestJobId(documentId, run));
  }

  /**
   * Makes sure a job for this run exists and can run: adds it when Redis has none (lost, or removed on
   * completion), replaces a finished one. A waiting, delayed or active job is left alone.
   */
  async ensureQueued(documentId: string, run: number): Promise<'added' | 'present'> {
    const job = await this.findJob(documentId, run);
    if (job) {
      const state = await job.getState();
      if (state !== 'completed' && state !== 'failed' && (state as string) !== 'stuck') return 'present';
      await job.remove().catch(() => undefined);
    }
    await this.add(documentId, run);
    return 'added';
  }

  /**
   * Bull's stalled-job check, run now: a job whose worker died (lock expired) goes back to waiting.
   * Bull runs it every 30 s itself; the reconciler runs it on its own, shorter, schedule.
   */
  async recoverStalledJobs(): Promise<void> {
    await (this.queue as Queue<IngestJobData> & { moveUnlockedJobsToWait(): Promise<void> }).moveUnlockedJobsToWait();
  }

  /** Drops a job that has not started; a running one notices the document is gone at its next batch. */
  async cancel(documentId: string, run: number): Promise<void> {
    try {
      const job = await this.findJob(documentId, run);
      if (job && !(await job.isActive())) await job.remove();
    } catch (err) {
      this.logger.warn(`could not remove the ingestion job of document ${documentId}: ${(err as Error).message}`);
    }
  }
}
