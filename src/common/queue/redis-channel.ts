import { Logger } from '@nestjs/common';
import Redis from 'ioredis';
import { Observable, Subject } from 'rxjs';

/**
 * One Redis pub/sub channel of JSON messages, so what one process publishes reaches every process. One
 * publisher and one subscriber connection, each opened on first use; subscribers fan out in memory.
 */
export class RedisChannel<T> {
  private readonly logger: Logger;
  private publisher?: Redis;
  private subscriber?: Redis;
  private subscribed?: Promise<void>;
  private readonly received = new Subject<T>();

  constructor(
    private readonly redisUrl: string,
    private readonly channel: string,
    /** For log lines, e.g. "ingestion events". */
    private readonly what: string,
  ) {
    this.logger = new Logger(`RedisChannel ${channel}`);
  }

  /** Fire and forget: a lost message is logged, never thrown. */
  publish(message: T): void {
    this.publisher ??= this.connect('publisher');
    this.publisher.publish(this.channel, JSON.stringify(message)).catch((err: Error) => {
      this.logger.warn(`could not publish ${this.what}: ${err.message}`);
    });
  }

  /** Every message, from every process; resolves once the Redis subscription is live (so none is missed after). */
  async messages(): Promise<Observable<T>> {
    if (!this.subscribed) {
      const subscriber = this.connect('subscriber');
      this.subscriber = subscriber;
      subscriber.on('message', (_channel: string, message: string) => {
        try {
          this.received.next(JSON.parse(message) as T);
        } catch {
          // Not ours; ignore.
        }
      });
      this.subscribed = subscriber.subscribe(this.channel).then(() => undefined);
      this.subscribed.catch((err: Error) => {
        this.logger.warn(`cannot subscribe to ${this.what}: ${err.message}`);
        this.subscribed = undefined;
        subscriber.disconnect();
      });
    }
    await this.subscribed;
    return this.received.asObservable();
  }

  async close(): Promise<void> {
    this.received.complete();
    await Promise.all([this.publisher, this.subscriber].map((c) => c?.quit().catch(() => c.disconnect())));
  }

  private connect(role: string): Redis {
    const client = new Redis(this.redisUrl, { maxRetriesPerRequest: 2, enableOfflineQueue: true });
    client.on('error', (err: Error) => this.logger.warn(`Redis ${role} for ${this.what}: ${err.message}`));
    return client;
  }
}
