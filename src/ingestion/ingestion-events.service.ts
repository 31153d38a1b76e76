import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { Observable, filter } from 'rxjs';
import { RedisChannel } from '../common/queue/redis-channel';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { DocumentStatus } from '../documents/document.entity';

/** What the events stream tells a browser about one document. */
export interface DocumentEventData {
  id: string;
  knowledgeBaseId: string;
  filename?: string;
  status?: DocumentStatus;
  progress?: number;
  statusDetail?: string | null;
  pageCount?: number | null;
  chunkCount?: number;
  error?: { code: string; message: string } | null;
}

export interface IngestionEvent {
  type: 'document.updated' | 'document.deleted' | 'knowledge-base.deleted';
  knowledgeBaseId: string;
  document?: DocumentEventData;
  at: string;
}

/**
 * Document status changes on Redis pub/sub (channel `<QUEUE_PREFIX>:ingestion-events`), so the events
 * stream of an API process shows what workers in other processes do.
 */
@Injectable()
export class IngestionEventsService implements OnModuleDestroy {
  private readonly channel: RedisChannel<IngestionEvent>;

  constructor(@Inject(APP_CONFIG) config: Pick<AppConfig, 'redisUrl' | 'queuePrefix'>) {
    this.channel = new RedisChannel(config.redisUrl, `${config.queuePrefix}:ingestion-events`, 'ingestion events');
  }

  /** Fire and forget: a lost progress event must never fail ingestion. */
  publish(event: Omit<IngestionEvent, 'at'>): void {
    this.channel.publish({ ...event, at: new Date().toISOString() });
  }

  /** Events of one knowledge base, from every process; resolves once the Redis subscription is live. */
  async forKnowledgeBase(knowledgeBaseId: string): Promise<Observable<IngestionEvent>> {
    return (await this.channel.messages()).pipe(filter((e) => e.knowledgeBaseId === knowledgeBaseId));
  }

  onModuleDestroy(): Promise<void> {
    return this.channel.close();
  }
}
