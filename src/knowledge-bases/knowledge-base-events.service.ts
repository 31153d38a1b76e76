import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import Redis from 'ioredis';
import { Observable, Subject, filter } from 'rxjs';
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
 * processes do. One publisher and one subscriber connection per process, opened on first use;
 * subscribers fan out in memory.
 */
@Injectable()
export class KnowledgeBaseEventsService implements OnModuleDestroy {
  private readonly logger = new Logger(KnowledgeBaseEventsService.name);
  private readonly channel: string;
  private publisher?: Redis;
  private subscriber?: Redis;
  private subscribed?: Promise<void>;
  private readonly events = new Subject<KnowledgeBaseEvent>();

  constructor(@Inject(APP_CONFIG) private readonly config: Pick<AppConfig, 'redisUrl' | 'queuePrefix'>) {
    this.channel = `${config.queuePrefix}:ingestion-events`;
  }

  /** Fire and forget: a lost progress event must never fail ingestion. */
  publish(event: Omit<KnowledgeBaseEvent, 'at'>): void {
    this.publisher ??= this.connect('publisher');
    this.publisher
      .publish(this.channel, JSON.stringify({ ...event, at: new Date().toISOString() }))
      .catch((err: Error) => {
        this.logger.warn(`could not publish a knowledge-base event: ${err.message}`);
      });
  }

  /** Events of one knowledge base, from every process; resolves once the Redis subscription is live. */
  async forKnowledgeBase(knowledgeBaseId: string): Promise<Observable<KnowledgeBaseEvent>> {
    if (!this.subscribed) {
      const subscriber = this.connect('subscriber');
      this.subscriber = subscriber;
      subscriber.on('message', (_channel: string, message: string) => {
        try {
          this.events.next(JSON.parse(message) as KnowledgeBaseEvent);
        } catch {
          // Not ours; ignore.
        }
      });
      this.subscribed = subscriber.subscribe(this.channel).then(() => undefined);
      this.subscribed.catch((err: Error) => {
        this.logger.warn(`cannot subscribe to knowledge-base events: ${err.message}`);
        this.subscribed = undefined;
        subscriber.disconnect();
      });
    }
    await this.subscribed;
    return this.events.pipe(filter((e) => e.knowledgeBaseId === knowledgeBaseId));
  }

  async onModuleDestroy(): Promise<void> {
    this.events.complete();
    await Promise.all([this.publisher, this.subscriber].map((c) => c?.quit().catch(() => c.disconnect())));
  }

  private connect(role: string): Redis {
    const client = new Redis(this.config.redisUrl, { maxRetriesPerRequest: 2, enableOfflineQueue: true });
    client.on('error', (err: Error) => this.logger.warn(`Redis ${role} for knowledge-base events: ${err.message}`));
    return client;
  }
}
