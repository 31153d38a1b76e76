import { Module } from '@nestjs/common';
import { IngestionCoreModule } from '../ingestion/ingestion-core.module';
import { ChunksController } from './chunks.controller';
import { DocumentsController } from './documents.controller';
import { DocumentsService } from './documents.service';
import { DocumentUploadInterceptor } from './upload/document-upload.interceptor';

@Module({
  imports: [IngestionCoreModule],
  controllers: [DocumentsController, ChunksController],
  providers: [DocumentsService, DocumentUploadInterceptor],
  exports: [DocumentsService],
})
export class DocumentsModule {}
