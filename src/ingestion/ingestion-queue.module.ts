import { Global, Module } from '@nestjs/common';
import { DocumentWorkQueue } from '../documents/document-work-queue';
import { IngestionQueueService } from './ingestion-queue.service';

/** The Bull ingestion queue, offered to the documents folder as its DocumentWorkQueue (both roles enqueue). */
@Global()
@Module({
  providers: [IngestionQueueService, { provide: DocumentWorkQueue, useExisting: IngestionQueueService }],
  exports: [IngestionQueueService, DocumentWorkQueue],
})
export class IngestionQueueModule {}
