import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ChunkRepository } from '../documents/chunk.repository';
import { Chunk } from '../documents/chunk.entity';
import { DocumentFileStore } from '../documents/document-file-store';
import { Document } from '../documents/document.entity';
import { KnowledgeBase } from '../knowledge-bases/knowledge-base.entity';
import { DocumentStateService } from './document-state.service';
import { IngestionEventsService } from './ingestion-events.service';
import { IngestionQueueService } from './ingestion-queue.service';

/**
 * What the API side (uploads, deletes, the events stream) and the worker side (pipeline, reconciler)
 * share: entities, chunk writes, stored originals, the queue and the events channel.
 */
@Module({
  imports: [TypeOrmModule.forFeature([KnowledgeBase, Document, Chunk])],
  providers: [ChunkRepository, DocumentFileStore, IngestionEventsService, IngestionQueueService, DocumentStateService],
  exports: [
    TypeOrmModule,
    ChunkRepository,
    DocumentFileStore,
    IngestionEventsService,
    IngestionQueueService,
    DocumentStateService,
  ],
})
export class IngestionCoreModule {}
