import { Module } from '@nestjs/common';
import { IngestionEventsController } from './ingestion-events.controller';
import { IngestionStreamService } from './ingestion-stream.service';

/** The API side of ingestion: the live events stream (uploads themselves are in DocumentsModule). */
@Module({
  controllers: [IngestionEventsController],
  providers: [IngestionStreamService],
})
export class IngestionModule {}
