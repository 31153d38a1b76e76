import { Module } from '@nestjs/common';
import { ChunksController } from './chunks.controller';
import { DocumentsController } from './documents.controller';
import { DocumentsService } from './documents.service';
import { DocumentUploadInterceptor } from './upload/document-upload.interceptor';

/** The documents API: uploads, document and chunk reads, chunk edits, reindex and delete (DocumentsCoreModule holds the rest). */
@Module({
  controllers: [DocumentsController, ChunksController],
  providers: [DocumentsService, DocumentUploadInterceptor],
  exports: [DocumentsService],
})
export class DocumentsModule {}
