import { BullModule } from '@nestjs/bull';
import { Global, Module } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { INGESTION_QUEUE } from './queue.constants';

/**
 * Bull on REDIS_URL with one queue for ingestion. Failed jobs are kept for inspection; retries back
 * off exponentially so an Ollama that is down or busy is waited out rather than hammered.
 */
@Global()
@Module({
  imports: [
    BullModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        url: config.redisUrl,
        prefix: config.queuePrefix,
        defaultJobOptions: {
          attempts: 10,
          backoff: { type: 'exponential', delay: 2_000 },
          removeOnComplete: 1_000,
          removeOnFail: false,
        },
      }),
    }),
    BullModule.registerQueue({ name: INGESTION_QUEUE }),
  ],
  exports: [BullModule],
})
export class QueueModule {}
