/**
 * Where documents hand their processing: a port, implemented by the ingestion folder on the Bull queue,
 * so documents never reach into ingestion.
 */
export abstract class DocumentWorkQueue {
  /**
   * Queues this run of the document; never fails or hangs the caller when the queue is unreachable (the
   * document stays `queued` in the database and the reconciler queues it later). True when queued now.
   */
  abstract enqueue(documentId: string, run: number): Promise<boolean>;

  /** Drops the run's job if it has not started; a running one stops at its next status write. */
  abstract cancel(documentId: string, run: number): Promise<void>;
}
