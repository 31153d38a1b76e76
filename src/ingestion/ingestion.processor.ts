import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { Queue } from 'bull';
import { INGESTION_QUEUE } from '../common/queue/queue.constants';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { INGEST_JOB, IngestJobData } from './ingestion-queue.service';
import { IngestionPipelineService } from './ingestion-pipeline.service';

/**
 * Takes ingestion jobs off the queue, INGESTION_CONCURRENCY at a time (registered by hand because a
 * decorator cannot read the configuration), and hands each to the pipeline.
 */
@Injectable()
export class IngestionProcessor implements OnApplicationBootstrap {
  private readonly logger = new Logger(IngestionProcessor.name);

  constructor(
    @InjectQueue(INGESTION_QUEUE) private readonly queue: Queue<IngestJobData>,
    private readonly pipeline: IngestionPipelineService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.queue
      .process(INGEST_JOB, this.config.ingestionConcurrency, (job) =>
        this.pipeline.ingest({
          documentId: job.data.documentId,
          run: job.data.run,
          attemptsMade: job.attemptsMade,
          attempts: job.opts.attempts ?? 1,
        }),
      )
      .catch((err: Error) => this.logger.error(`the ingestion processor stopped: ${err.message}`));
  }
}
