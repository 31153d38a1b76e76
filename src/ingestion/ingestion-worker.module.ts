import { Module } from '@nestjs/common';
import { IngestionPipelineService } from './ingestion-pipeline.service';
import { IngestionProcessor } from './ingestion.processor';
import { IngestionReconcilerService } from './ingestion-reconciler.service';
import { PageRecognizer } from './parsing/ocr/page-recognizer.service';

/** The worker role: the Bull processor for ingestion jobs, the pipeline it runs, and the reconciler. */
@Module({
  providers: [IngestionPipelineService, IngestionProcessor, IngestionReconcilerService, PageRecognizer],
  exports: [IngestionReconcilerService],
})
export class IngestionWorkerModule {}
