import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { Observable, filter } from 'rxjs';
import { RedisChannel } from '../common/queue/redis-channel';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';

/** What one event says about one document (the document's view, or just its ids when it is deleted). */
export interface DocumentEventData {
  id: string;
  knowledgeBaseId: string;
  [field: string]: unknown;
}

export interface KnowledgeBaseEvent {
  type: 'document.updated' | 'document.deleted' | 'knowledge-base.deleted';
  knowledgeBaseId: string;
  document?: DocumentEventData;
  at: string;
}

/**
 * A knowledge base's events (document status changes, deletions) on Redis pub/sub (channel
 * `<QUEUE_PREFIX>:ingestion-events`), so the events stream of an API process shows what workers in other
 * processes do.
 */
@Injectable()
export class KnowledgeBaseEventsService implements OnModuleDestroy {
  private readonly channel: RedisChannel<KnowledgeBaseEvent>;

  constructor(@Inject(APP_CONFIG) config: Pick<AppConfig, 'redisUrl' | 'queuePrefix'>) {
    this.channel = new RedisChannel(config.redisUrl, `${config.queuePrefix}:ingestion-events`, 'knowledge-base events');
  }

  /** Fire and forget: a lost progress event must never fail ingestion. */
  publish(event: Omit<KnowledgeBaseEvent, 'at'>): void {
    this.channel.publish({ ...event, at: new Date().toISOString() });
  }

  /** Events of one knowledge base, from every process; resolves once the Redis subscription is live. */
  async forKnowledgeBase(knowledgeBaseId: string): Promise<Observable<KnowledgeBaseEvent>> {
    return (await this.channel.messages()).pipe(filter((e) => e.knowledgeBaseId === knowledgeBaseId));
  }

  onModuleDestroy(): Promise<void> {
    return this.channel.close();
  }
}
