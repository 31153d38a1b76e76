import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { KnowledgeBaseContentsPurger } from '../knowledge-bases/knowledge-base-contents-purger';
import { Chunk } from './chunk.entity';
import { ChunkRepository } from './chunk.repository';
import { DocumentFileStore } from './document-file-store';
import { DocumentLifecycle } from './document-lifecycle.service';
import { Document } from './document.entity';
import { DocumentRepository } from './document.repository';
import { KnowledgeBaseContentsPurgerService } from './knowledge-base-contents.purger';

/**
 * What both roles need of documents: their repositories, stored originals, the lifecycle owner, and the
 * purger of deleted knowledge bases. Needs a DocumentWorkQueue (the ingestion folder provides it).
 */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([Document, Chunk])],
  providers: [
    DocumentRepository,
    ChunkRepository,
    DocumentFileStore,
    DocumentLifecycle,
    { provide: KnowledgeBaseContentsPurger, useClass: KnowledgeBaseContentsPurgerService },
  ],
  exports: [DocumentRepository, ChunkRepository, DocumentFileStore, DocumentLifecycle, KnowledgeBaseContentsPurger],
})
export class DocumentsCoreModule {}
