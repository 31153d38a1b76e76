import { Module } from '@nestjs/common';
import { IngestionCoreModule } from './ingestion-core.module';
import { IngestionPipelineService } from './ingestion-pipeline.service';
import { IngestionProcessor } from './ingestion.processor';
import { IngestionReconcilerService } from './ingestion-reconciler.service';

/** The worker role: the Bull processor for ingestion jobs, the pipeline it runs, and the reconciler. */
@Module({
  imports: [IngestionCoreModule],
  providers: [IngestionPipelineService, IngestionProcessor, IngestionReconcilerService],
  exports: [IngestionReconcilerService],
})
export class IngestionWorkerModule {}
