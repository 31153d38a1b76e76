import { Module } from '@nestjs/common';
import { IngestionCoreModule } from './ingestion-core.module';
import { IngestionEventsController } from './ingestion-events.controller';
import { IngestionStreamService } from './ingestion-stream.service';

/** The API side of ingestion: the live events stream (uploads themselves are in DocumentsModule). */
@Module({
  imports: [IngestionCoreModule],
  controllers: [IngestionEventsController],
  providers: [IngestionStreamService],
})
export class IngestionModule {}
